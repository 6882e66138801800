package dev.clipengine.heads;

import dev.clipengine.heads.HeadLayers.Norm;
import dev.clipengine.kernels.Backend;
import dev.clipengine.text.ClipTokenizer;
import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;

import java.util.ArrayList;
import java.util.List;

/**
 * A CLIP text tower inside a seed-head checkpoint, under OpenAI's names below a prefix ({@code text_encoder.} or
 * {@code clip.}): token and positional embeddings, causal blocks (QuickGELU, LayerNorm eps 1e-5), {@code ln_final},
 * the text projection; the feature of a sequence is its row at the EOT position (docs/seed-heads.md §3, §4).
 * Immutable once loaded.
 */
final class ClipTextTower {

    /** Sequences per forward pass: bounds the activations of a long template × class batch. */
    private static final int BATCH = 64;

    private final Backend backend;
    private final Tensor tokenEmbedding;
    private final float[] pos, projection;
    private final List<ClipBlock> blocks = new ArrayList<>();
    private final Norm lnFinal;
    final int width, context, embed;

    private ClipTextTower(Backend backend, Tensor tokenEmbedding, float[] pos, float[] projection, Norm lnFinal,
                          int width, int context, int embed) {
        this.backend = backend;
        this.tokenEmbedding = tokenEmbedding;
        this.pos = pos;
        this.projection = projection;
        this.lnFinal = lnFinal;
        this.width = width;
        this.context = context;
        this.embed = embed;
    }

    /**
     * The tower under {@code prefix}; its projection is the first of {@code projectionKeys} present (ReCLIP++'s GPU
     * checkpoints keep only the fp16 {@code clip.text_projection}). Heads ≤ 0: CLIP's width/64.
     */
    static ClipTextTower load(SeedCheckpoint ck, HeadLayers layers, String prefix, int heads, String... projectionKeys)
            throws WeightsFormatException {
        long any = SeedCheckpoint.ANY;
        Tensor tok = ck.require(prefix + "token_embedding.weight", ClipTokenizer.VOCAB_SIZE, any);
        int d = tok.dim(1);
        Tensor posT = ck.require(prefix + "positional_embedding", any, d);
        Norm ln = layers.norm(ck.require(prefix + "ln_final.weight", d), ck.require(prefix + "ln_final.bias", d), ReclipHead.LN_EPS);
        Tensor proj = null;
        for (String k : projectionKeys) {
            proj = ck.optional(k, d, any);
            if (proj != null) break;
        }
        if (proj == null) throw new WeightsFormatException(ck.path(), "missing tensor '" + projectionKeys[projectionKeys.length - 1] + "' (the text projection)");
        ClipTextTower t = new ClipTextTower(layers.backend, tok, posT.toFloatArray(), proj.toFloatArray(), ln, d, posT.dim(0), proj.dim(1));
        int h = heads > 0 ? heads : Math.max(1, d / 64);
        for (int i = 0; ck.has(prefix + "transformer.resblocks." + i + ".ln_1.weight"); i++) {
            t.blocks.add(ClipBlock.load(ck, layers, prefix + "transformer.resblocks." + i + ".", d, h, ReclipHead.LN_EPS));
        }
        if (t.blocks.isEmpty()) throw new WeightsFormatException(ck.path(), "missing tensor '" + prefix + "transformer.resblocks.0.ln_1.weight'");
        return t;
    }

    /** Token {@code id}'s embedding into {@code x[off..off+width)}. */
    void embedToken(int id, float[] x, int off) {
        long base = (long) id * width;
        for (int i = 0; i < width; i++) x[off + i] = tokenEmbedding.getFloat(base + i);
    }

    /**
     * Projected features [n, embed] (not normalised) of {@code n} sequences already embedded ({@code x}: n ×
     * context × width, without positions), each read at its {@code eot} position.
     */
    float[] encodeEmbedded(float[] x, int n, int[] eot) {
        int L = context, d = width;
        float[] out = new float[n * embed];
        for (int s0 = 0; s0 < n; s0 += BATCH) {
            int m = Math.min(BATCH, n - s0), rows = m * L;
            float[] xb = new float[rows * d];
            System.arraycopy(x, s0 * L * d, xb, 0, rows * d);
            for (int k = 0; k < m; k++) for (int i = 0; i < L * d; i++) xb[k * L * d + i] += pos[i];
            int[] starts = new int[m + 1];
            for (int k = 0; k <= m; k++) starts[k] = k * L;
            float[] h;
            try (Backend.Buffer buf = backend.upload(xb); ClipBlock.Work w = blocks.get(0).work(backend, rows)) {
                for (ClipBlock b : blocks) b.forward(backend, buf, starts, true, w);
                lnFinal.apply(backend, buf, buf, rows);
                h = backend.download(buf);
            }
            float[] rowsAtEot = new float[m * d];
            for (int k = 0; k < m; k++) System.arraycopy(h, (k * L + eot[s0 + k]) * d, rowsAtEot, k * d, d);
            System.arraycopy(HostMath.mulNN(rowsAtEot, m, d, projection, embed), 0, out, s0 * embed, m * embed);
        }
        return out;
    }

    /** Projected features [n, embed] of tokenized texts (EOT = the largest id, as CLIP's argmax). */
    float[] encode(int[][] ids) {
        int n = ids.length, L = context, d = width;
        float[] x = new float[n * L * d];
        int[] eot = new int[n];
        for (int k = 0; k < n; k++) {
            if (ids[k].length != L) throw new IllegalArgumentException("token rows must have " + L + " ids");
            for (int p = 0; p < L; p++) {
                embedToken(ids[k][p], x, (k * L + p) * d);
                if (ids[k][p] > ids[k][eot[k]]) eot[k] = p;
            }
        }
        return encodeEmbedded(x, n, eot);
    }
}
