package dev.clipengine.model;

import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.WeightMatrix;

/**
 * CLIP's text tower (docs/cliptrase.md §1.5): token + positional embedding, causal residual blocks,
 * ln_final, the row of the end-of-text token (the largest id), then the text projection. The embedding rows are
 * gathered on the host (from the mapped table); everything after runs on the backend.
 */
public final class TextTransformer {

    private final Backend backend;
    private final WeightMatrix tokenEmbedding;    // [vocab, width], mapped
    private final float[] positionalEmbedding;    // [context, width]
    private final ResidualBlock[] blocks;
    private final LayerNorm lnFinal;
    private final Backend.Weights projection;     // [width, embed], right-multiplied
    private final int width, context, embedDim;

    TextTransformer(Backend backend, WeightMatrix tokenEmbedding, float[] positionalEmbedding, ResidualBlock[] blocks,
                    LayerNorm lnFinal, Backend.Weights projection) {
        this.backend = backend;
        this.tokenEmbedding = tokenEmbedding;
        this.positionalEmbedding = positionalEmbedding;
        this.blocks = blocks;
        this.lnFinal = lnFinal;
        this.projection = projection;
        this.width = tokenEmbedding.cols();
        this.context = positionalEmbedding.length / width;
        this.embedDim = projection.cols();
    }

    public int contextLength() {
        return context;
    }

    public int embedDim() {
        return embedDim;
    }

    /** Projected text feature (not normalized) of one tokenized prompt of {@code contextLength()} ids. */
    public float[] encode(int[] ids) {
        return encode(new int[][] {ids})[0];
    }

    /**
     * Projected text features (not normalized) of many tokenized prompts at once. The prompts are stacked into one
     * matrix so every projection and MLP is one GEMM over all their tokens (the weights are read once per batch, not
     * once per prompt); attention stays within each prompt. On the CPU each result equals {@link #encode(int[])} of
     * that prompt bit for bit: every output element is computed by the same kernel whatever the other rows are.
     */
    public float[][] encode(int[][] prompts) {
        int count = prompts.length, d = width;
        if (count == 0) return new float[0][];
        int[] eot = new int[count];
        int[] starts = new int[count + 1];
        for (int p = 0; p < count; p++) {
            int[] ids = prompts[p];
            if (ids.length != context) {
                throw new IllegalArgumentException("expected " + context + " token ids, got " + ids.length);
            }
            int e = 0;
            for (int i = 1; i < ids.length; i++) if (ids[i] > ids[e]) e = i;   // first maximum, as torch.argmax
            eot[p] = e;
            // Under the causal mask no row depends on later positions, so positions after EOT cannot change
            // the pooled row: run only the first eot+1 tokens (identical result, far less work).
            starts[p + 1] = starts[p] + e + 1;
        }
        int rows = starts[count];
        float[] x = new float[rows * d];
        for (int p = 0; p < count; p++) {
            for (int t = 0; t <= eot[p]; t++) {
                int id = prompts[p][t];
                if (id < 0 || id >= tokenEmbedding.rows()) {
                    throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + tokenEmbedding.rows());
                }
                int row = (starts[p] + t) * d;
                for (int c = 0; c < d; c++) x[row + c] = tokenEmbedding.get(id, c) + positionalEmbedding[t * d + c];
            }
        }
        float[] projected;
        try (Backend.Buffer bx = backend.adopt(x);
             ResidualBlock.Workspace ws = blocks[0].newWorkspace(rows);
             Backend.Buffer pooled = backend.allocate((long) count * d);
             Backend.Buffer out = backend.allocate((long) count * embedDim)) {
            ResidualBlock.Request causal = ResidualBlock.Request.clip(true);
            for (ResidualBlock block : blocks) block.forward(bx, starts, causal, ws);
            for (int p = 0; p < count; p++) backend.copy(bx, (long) (starts[p] + eot[p]) * d, pooled, (long) p * d, d);
            lnFinal.apply(backend, pooled, pooled, count);
            backend.matmul(pooled, 0, d, count, projection, out, 0, embedDim);
            projected = backend.download(out);
        }
        float[][] out = new float[count][];
        for (int p = 0; p < count; p++) out[p] = java.util.Arrays.copyOfRange(projected, p * embedDim, (p + 1) * embedDim);
        return out;
    }
}
