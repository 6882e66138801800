package dev.clipengine.midlayer;

/** Row-major matrix helpers on host arrays (the mid-layer methods' small T×T and T×C products). */
final class Rows {

    private Rows() {
    }

    /** Each row divided by its L2 norm (no epsilon, as the reference's {@code x / x.norm()}). */
    static float[] normalized(float[] x, int rows, int cols) {
        float[] out = new float[x.length];
        for (int i = 0; i < rows; i++) {
            double ss = 0;
            for (int c = 0; c < cols; c++) ss += (double) x[i * cols + c] * x[i * cols + c];
            float norm = (float) Math.sqrt(ss);
            for (int c = 0; c < cols; c++) out[i * cols + c] = x[i * cols + c] / norm;
        }
        return out;
    }

    /** {@code X·Xᵀ}, {@code [rows, rows]}. */
    static float[] gram(float[] x, int rows, int cols) {
        float[] out = new float[rows * rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j <= i; j++) {
                double dot = 0;
                for (int c = 0; c < cols; c++) dot += (double) x[i * cols + c] * x[j * cols + c];
                out[i * rows + j] = (float) dot;
                out[j * rows + i] = (float) dot;
            }
        }
        return out;
    }

    /** {@code A·X} with A {@code [m, k]} and X {@code [k, cols]}. */
    static float[] multiply(float[] a, int m, int k, float[] x, int cols) {
        float[] out = new float[m * cols];
        for (int i = 0; i < m; i++) {
            int o = i * cols;
            for (int j = 0; j < k; j++) {
                float w = a[i * k + j];
                if (w == 0f) continue;
                int s = j * cols;
                for (int c = 0; c < cols; c++) out[o + c] += w * x[s + c];
            }
        }
        return out;
    }

    /** Adds {@code weight·v} to every row of {@code x} ({@code [rows, v.length]}), in place. */
    static void addToEveryRow(float[] x, int rows, float[] v, float weight) {
        int cols = v.length;
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) x[i * cols + c] += weight * v[c];
        }
    }

    /** The cosine logits {@code [queries, rows]} of L2-normalized rows against the query features. */
    static float[] cosineLogits(float[] features, int rows, int cols, float[][] queries) {
        float[] f = normalized(features, rows, cols);
        float[] logits = new float[queries.length * rows];
        for (int p = 0; p < rows; p++) {
            for (int j = 0; j < queries.length; j++) {
                double dot = 0;
                for (int c = 0; c < cols; c++) dot += (double) f[p * cols + c] * queries[j][c];
                logits[j * rows + p] = (float) dot;
            }
        }
        return logits;
    }
}
