package dev.clipengine.model;

import dev.clipengine.kernels.CpuBackend;
import dev.clipengine.kernels.WeightMatrix;

/**
 * CLIP's text tower (spec cliptrase.md §1.5): token + positional embedding, causal residual blocks,
 * ln_final, the row of the end-of-text token (the largest id), then the text projection.
 */
public final class TextTransformer {

    private final CpuBackend cpu;
    private final WeightMatrix tokenEmbedding;    // [vocab, width]
    private final float[] positionalEmbedding;    // [context, width]
    private final ResidualBlock[] blocks;
    private final LayerNorm lnFinal;
    private final WeightMatrix projection;        // [width, embed], right-multiplied
    private final int width, context, embedDim;

    TextTransformer(CpuBackend cpu, WeightMatrix tokenEmbedding, float[] positionalEmbedding, ResidualBlock[] blocks,
                    LayerNorm lnFinal, WeightMatrix projection) {
        this.cpu = cpu;
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
        if (ids.length != context) {
            throw new IllegalArgumentException("expected " + context + " token ids, got " + ids.length);
        }
        int eot = 0;
        for (int i = 1; i < ids.length; i++) if (ids[i] > ids[eot]) eot = i;   // first maximum, as torch.argmax
        // Under the causal mask no row depends on later positions, so positions after EOT cannot change
        // the pooled row: run only the first eot+1 tokens (identical result, far less work).
        int n = eot + 1, d = width;
        float[] x = new float[n * d];
        for (int t = 0; t < n; t++) {
            int id = ids[t];
            if (id < 0 || id >= tokenEmbedding.rows()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + tokenEmbedding.rows());
            }
            for (int c = 0; c < d; c++) x[t * d + c] = tokenEmbedding.get(id, c) + positionalEmbedding[t * d + c];
        }
        for (ResidualBlock block : blocks) block.forward(cpu, x, n, true, AttentionMode.STANDARD, false, false);
        float[] pooled = new float[d];
        System.arraycopy(x, eot * d, pooled, 0, d);
        lnFinal.apply(cpu, pooled, pooled, 1);
        float[] out = new float[embedDim];
        cpu.matmul(pooled, 0, d, 1, projection, out, 0, embedDim);
        return out;
    }
}
