package dev.clipengine.heads;

/**
 * The small host-side steps of the seed heads that are not worth a backend call: reshapes, per-row norms, the
 * unfold that turns a convolution into a GEMM, the class softmax and argmax.
 */
final class HostMath {

    private HostMath() {
    }

    /**
     * Unfolds a planar {@code [ch, h, w]} image for a {@code k×k} convolution with stride {@code stride} and zero
     * padding {@code pad}: row {@code oy·ow + ox} holds the window in PyTorch's weight order {@code (c, ky, kx)}, so
     * {@code rows · weight[out, ch·k·k]ᵀ} is the convolution.
     */
    static float[] unfold(float[] img, int ch, int h, int w, int k, int stride, int pad, int oh, int ow) {
        int cols = ch * k * k;
        float[] out = new float[oh * ow * cols];
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                int row = (oy * ow + ox) * cols;
                for (int c = 0; c < ch; c++) {
                    for (int ky = 0; ky < k; ky++) {
                        int y = oy * stride + ky - pad;
                        if (y < 0 || y >= h) continue;
                        int src = (c * h + y) * w, dst = row + (c * k + ky) * k;
                        for (int kx = 0; kx < k; kx++) {
                            int x = ox * stride + kx - pad;
                            if (x >= 0 && x < w) out[dst + kx] = img[src + x];
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Rows → planar: {@code [n, c]} (n = h·w) to {@code [c, n]}. */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }

    /** Divides each row by its L2 norm, in place (no epsilon, as the repositories do). */
    static void l2Rows(float[] a, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += (double) a[r * cols + c] * a[r * cols + c];
            float n = (float) Math.sqrt(s);
            for (int c = 0; c < cols; c++) a[r * cols + c] /= n;
        }
    }

    /** {@code a[m×k] · b[n×k]ᵀ} in double accumulation (small products: text rows, queries). */
    static float[] mulNT(float[] a, int m, int k, float[] b, int n) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[j * k + p];
                c[i * n + j] = (float) s;
            }
        }
        return c;
    }

    /** {@code a[m×k] · b[k×n]} in double accumulation. */
    static float[] mulNN(float[] a, int m, int k, float[] b, int n) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[p * n + j];
                c[i * n + j] = (float) s;
            }
        }
        return c;
    }

    /**
     * Per pixel of a planar {@code [classes, n]} map: the class softmax (max-subtracted, float32 as PyTorch's CPU
     * kernel), written over {@code x}.
     */
    static void softmaxClasses(float[] x, int classes, int n) {
        for (int p = 0; p < n; p++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) max = Math.max(max, x[c * n + p]);
            float sum = 0;
            for (int c = 0; c < classes; c++) {
                float e = (float) Math.exp(x[c * n + p] - max);
                x[c * n + p] = e;
                sum += e;
            }
            for (int c = 0; c < classes; c++) x[c * n + p] /= sum;
        }
    }

    /** Per pixel of a planar {@code [classes, n]} map: the first class with the largest value. */
    static int[] argmax(float[] x, int classes, int n) {
        int[] out = new int[n];
        for (int p = 0; p < n; p++) {
            int best = 0;
            float bv = x[p];
            for (int c = 1; c < classes; c++) {
                if (x[c * n + p] > bv) {
                    bv = x[c * n + p];
                    best = c;
                }
            }
            out[p] = best;
        }
        return out;
    }
}
