package dev.clipengine.midlayer;

/**
 * Per-head attention arithmetic on host arrays for the replaced last blocks of SC-CLIP and ResCLIP
 * (docs/mid-layer-methods.md). {@code qkv} holds the block's in-projection rows {@code [q | k | v]}, each part
 * {@code width} floats with head {@code h} at {@code h·headDim}.
 */
final class HeadAttention {

    private final int rows, width, headDim;
    private final float[] qkv;

    HeadAttention(float[] qkv, int rows, int width, int heads) {
        if (qkv.length != rows * 3 * width) throw new IllegalArgumentException("qkv: expected " + rows + "x" + 3 * width);
        this.qkv = qkv;
        this.rows = rows;
        this.width = width;
        this.headDim = width / heads;
    }

    /** {@code 1/√d} of the head width (0.125 for ViT-B/16: a power of two, exact either side of the product). */
    float scale() {
        return (float) (1.0 / Math.sqrt(headDim));
    }

    /** {@code k_h·k_hᵀ · scale}, {@code [rows, rows]}. */
    float[] keyKeyLogits(int head) {
        float[] out = new float[rows * rows];
        int k = width + head * headDim, ld = 3 * width;
        float s = scale();
        for (int i = 0; i < rows; i++) {
            int a = i * ld + k;
            for (int j = 0; j <= i; j++) {
                int b = j * ld + k;
                float dot = 0;
                for (int c = 0; c < headDim; c++) dot += qkv[a + c] * qkv[b + c];
                out[i * rows + j] = dot * s;
                out[j * rows + i] = dot * s;
            }
        }
        return out;
    }

    /** Writes {@code A·v_h} into the head's columns of {@code context} ({@code [rows, width]}). */
    void applyToValues(float[] attention, int head, float[] context) {
        int v = 2 * width + head * headDim, ld = 3 * width, o = head * headDim;
        float[] acc = new float[headDim];
        for (int i = 0; i < rows; i++) {
            java.util.Arrays.fill(acc, 0f);
            for (int j = 0; j < rows; j++) {
                float a = attention[i * rows + j];
                if (a == 0f) continue;
                int b = j * ld + v;
                for (int c = 0; c < headDim; c++) acc[c] += a * qkv[b + c];
            }
            System.arraycopy(acc, 0, context, i * width + o, headDim);
        }
    }

    /** In-place softmax of each row of a {@code [n, n]} matrix; −∞ entries get weight 0. */
    static void softmaxRows(float[] m, int n) {
        for (int i = 0; i < n; i++) {
            int o = i * n;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, m[o + j]);
            double sum = 0;
            for (int j = 0; j < n; j++) {
                float e = (float) Math.exp(m[o + j] - max);
                m[o + j] = e;
                sum += e;
            }
            float inv = (float) sum;
            for (int j = 0; j < n; j++) m[o + j] /= inv;
        }
    }
}
