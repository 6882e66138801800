package dev.clipengine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RowOpsTest {

    private static CpuBackend backend;

    @BeforeAll
    static void start() {
        backend = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @Test
    void layerNormMatchesDoubleReference() {
        Random rnd = new Random(3);
        for (int[] s : new int[][] {{1, 1}, {3, 17}, {17, 33}, {197, 65}, {5, 768}}) {
            int rows = s[0], cols = s[1];
            int ld = cols + 3;
            float[] x = TestData.random(rnd, 2 + rows * ld);
            for (int i = 0; i < x.length; i++) {
                x[i] = x[i] * 3 + 5; // a non-zero mean makes the double accumulation matter
            }
            float[] gamma = TestData.random(rnd, cols), beta = TestData.random(rnd, cols);
            double[] expected = new double[rows * cols];
            Reference.layerNorm(x, 2, ld, rows, cols, gamma, beta, 1e-5f, expected);
            float[] y = new float[rows * cols];
            backend.layerNorm(x, 2, ld, rows, cols, gamma, beta, 1e-5f, y, 0, cols);
            for (int i = 0; i < y.length; i++) {
                assertEquals(expected[i], y[i], 2e-6 * (1 + Math.abs(expected[i])), "layerNorm " + rows + "x" + cols);
            }
        }
    }

    @Test
    void layerNormInPlace() {
        Random rnd = new Random(4);
        int rows = 9, cols = 40;
        float[] x = TestData.random(rnd, rows * cols);
        float[] gamma = TestData.random(rnd, cols), beta = TestData.random(rnd, cols);
        float[] separate = new float[rows * cols];
        backend.layerNorm(x, 0, cols, rows, cols, gamma, beta, 1e-5f, separate, 0, cols);
        backend.layerNorm(x, 0, cols, rows, cols, gamma, beta, 1e-5f, x, 0, cols);
        org.junit.jupiter.api.Assertions.assertArrayEquals(separate, x);
    }

    @Test
    void softmaxMatchesReference() {
        Random rnd = new Random(5);
        for (int cols : new int[] {1, 3, 16, 17, 77, 197}) {
            int rows = 7, ld = cols + 2;
            float[] x = TestData.random(rnd, rows * ld);
            float[] orig = x.clone();
            backend.softmaxRows(x, 0, ld, rows, cols, false, 0);
            for (int r = 0; r < rows; r++) {
                double[] exp = Reference.softmax(java.util.Arrays.copyOfRange(orig, r * ld, r * ld + cols), cols);
                for (int c = 0; c < cols; c++) {
                    assertEquals(exp[c], x[r * ld + c], 1e-6, "softmax cols=" + cols);
                }
                for (int c = cols; c < ld; c++) {
                    assertEquals(orig[r * ld + c], x[r * ld + c], "padding untouched");
                }
            }
        }
    }

    @Test
    void causalSoftmaxZeroesAboveTheDiagonalAndSumsToOne() {
        Random rnd = new Random(6);
        for (int offset : new int[] {0, 2, -1}) {
            int rows = 77, cols = 77;
            float[] x = TestData.random(rnd, rows * cols);
            float[] orig = x.clone();
            backend.softmaxRows(x, 0, cols, rows, cols, true, offset);
            for (int r = 0; r < rows; r++) {
                int kept = Math.max(0, Math.min(cols, r + offset + 1));
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    float v = x[r * cols + c];
                    if (c >= kept) {
                        assertEquals(0f, v, "masked entries are exactly zero (row " + r + ", col " + c + ")");
                    }
                    sum += v;
                }
                assertEquals(kept == 0 ? 0 : 1, sum, 1e-5, "row " + r + " sum, offset " + offset);
                double[] exp = Reference.softmax(java.util.Arrays.copyOfRange(orig, r * cols, (r + 1) * cols), kept);
                for (int c = 0; c < kept; c++) {
                    assertEquals(exp[c], x[r * cols + c], 1e-6);
                }
            }
        }
    }

    @Test
    void softmaxOfLargeValuesDoesNotOverflow() {
        float[] x = {1000f, 1000f, -1000f};
        backend.softmaxRows(x, 0, 3, 1, 3, false, 0);
        assertEquals(0.5f, x[0]);
        assertEquals(0.5f, x[1]);
        assertEquals(0f, x[2]);
    }

    @Test
    void quickGeluMatchesReference() {
        Random rnd = new Random(7);
        for (int len : new int[] {1, 15, 16, 17, 100_003}) {
            float[] x = TestData.random(rnd, len + 4);
            for (int i = 0; i < x.length; i++) {
                x[i] *= 6; // cover the saturated regions too
            }
            float[] orig = x.clone();
            backend.quickGelu(x, 3, len);
            for (int i = 0; i < x.length; i++) {
                double exp = (i >= 3 && i < 3 + len) ? Reference.quickGelu(orig[i]) : orig[i];
                assertEquals(exp, x[i], 1e-6 * (1 + Math.abs(exp)), "quickGelu len=" + len + " i=" + i);
            }
        }
    }

    @Test
    void addIsElementwise() {
        Random rnd = new Random(8);
        for (int len : new int[] {0, 1, 17, 1000}) {
            float[] dst = TestData.random(rnd, len + 2), src = TestData.random(rnd, len + 5);
            float[] orig = dst.clone();
            backend.add(dst, 1, src, 4, len);
            for (int i = 0; i < dst.length; i++) {
                float exp = (i >= 1 && i < 1 + len) ? orig[i] + src[i + 3] : orig[i];
                assertEquals(exp, dst[i]);
            }
        }
    }
}
