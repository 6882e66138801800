package dev.clipengine.kernels;

/** Straightforward scalar versions of the kernels, accumulating in double, used as test oracles. */
final class Reference {

    private Reference() {
    }

    /** Result and, per element, the sum of |products| (the natural scale for a rounding-error bound). */
    record Product(double[] value, double[] magnitude) {
    }

    /** y[i][n] = alpha * sum_k x[i][k] * b(k, n) + bias[n] where b is given as an accessor. */
    interface Operand {
        double get(int k, int n);
    }

    static Product gemm(int m, int n, int k, float alpha, float[] a, int aOff, int lda, Operand b, float[] bias) {
        double[] v = new double[m * n];
        double[] mag = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int kk = 0; kk < k; kk++) {
                    double p = (double) a[aOff + i * lda + kk] * b.get(kk, j);
                    s += p;
                    abs += Math.abs(p);
                }
                s *= alpha;
                abs *= Math.abs(alpha);
                if (bias != null) {
                    s += bias[j];
                    abs += Math.abs(bias[j]);
                }
                v[i * n + j] = s;
                mag[i * n + j] = abs;
            }
        }
        return new Product(v, mag);
    }

    static void layerNorm(float[] x, int off, int ld, int rows, int cols, float[] gamma, float[] beta, float eps,
                          double[] out) {
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int c = 0; c < cols; c++) {
                mean += x[off + r * ld + c];
            }
            mean /= cols;
            double var = 0;
            for (int c = 0; c < cols; c++) {
                double d = x[off + r * ld + c] - mean;
                var += d * d;
            }
            var /= cols;
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = (x[off + r * ld + c] - mean) / Math.sqrt(var + eps) * gamma[c] + beta[c];
            }
        }
    }

    static double[] softmax(float[] row, int kept) {
        double[] out = new double[row.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < kept; c++) {
            max = Math.max(max, row[c]);
        }
        double sum = 0;
        for (int c = 0; c < kept; c++) {
            out[c] = Math.exp(row[c] - max);
            sum += out[c];
        }
        for (int c = 0; c < kept; c++) {
            out[c] /= sum;
        }
        return out;
    }

    static double quickGelu(float v) {
        return v / (1 + Math.exp(-1.702 * v));
    }

    /** Median filter by sorting each window, with scipy 'reflect' indexing written out explicitly. */
    static float[] median(float[] src, int h, int w, int k) {
        float[] out = new float[h * w];
        float[] win = new float[k * k];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int n = 0;
                for (int dy = 0; dy < k; dy++) {
                    for (int dx = 0; dx < k; dx++) {
                        win[n++] = src[reflect(y - k / 2 + dy, h) * w + reflect(x - k / 2 + dx, w)];
                    }
                }
                float[] sorted = win.clone();
                java.util.Arrays.sort(sorted);
                out[y * w + x] = sorted[k * k / 2];
            }
        }
        return out;
    }

    /** d c b a | a b c d | d c b a, repeated as often as needed for windows larger than the image. */
    static int reflect(int i, int n) {
        while (i < 0 || i >= n) {
            if (i < 0) {
                i = -i - 1;
            }
            if (i >= n) {
                i = 2 * n - 1 - i;
            }
        }
        return i;
    }
}
