package dev.clipengine.kernels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link Backend} must do, checked against self-contained scalar references (double accumulation) and,
 * for resampling and the median filter, against the CPU classes bit for bit. Subclasses supply the backend and its GEMM
 * tolerance: {@link HeapBackendContractTest} here, {@code dev.clipengine.kernels.cuda.Cuda*ContractTest} on a GPU.
 *
 * <h2>GEMM tolerances</h2>
 * For a dot product of length k the error of any fp32 evaluation is bounded by {@code γ_k·Σ|a_t·b_t|} with
 * {@code γ_k ≈ k·2⁻²⁴}; accumulation order on a GPU differs from the CPU, so the check is against that bound, scaled
 * by {@code Σ|a_t b_t|} (the natural size of the rounding error), not against the CPU result:
 * <ul>
 *   <li>FP32: {@code 2·k·2⁻²⁴·Σ|ab|} (twice the worst case; real errors are ~√k smaller);</li>
 *   <li>TF32: inputs rounded to a 10-bit mantissa, so each product carries up to {@code 2·2⁻¹¹} relative error:
 *       {@code 2⁻⁹·Σ|ab|} + the fp32 accumulation term;</li>
 *   <li>BF16: 7-bit mantissa, {@code 2·2⁻⁸} per product: {@code 2⁻⁶·Σ|ab|} + the fp32 term.</li>
 * </ul>
 * Every other kernel runs in fp32 in every mode and keeps the same tolerance for all backends.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendContractTest {

    /** Relative bound per unit of {@code Σ|a·b|} beyond the fp32 accumulation term (0 for exact fp32 inputs). */
    protected abstract double gemmInputRounding();

    protected abstract Backend backend();

    @AfterAll
    void closeBackend() {
        closeBackendIfOpen();
    }

    /** Closes the backend if it was opened (a skipped GPU test never opens one). */
    protected void closeBackendIfOpen() {
        backend().close();
    }

    private final SplittableRandom rnd = new SplittableRandom(20240917);

    private float[] random(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return v;
    }

    private void assertGemm(double want, double magnitude, int k, float got, String what) {
        double tol = (2.0 * k * 0x1p-24 + gemmInputRounding()) * magnitude + 1e-30;
        assertTrue(Math.abs(want - got) <= tol, what + ": want " + want + " got " + got + " (tol " + tol + ")");
    }

    @Test
    void linearWithBiasOffsetsAndEveryWeightStorage() {
        Backend b = backend();
        int m = 37, n = 96, k = 200, ldx = k + 5, ldy = n + 3, xOff = 11, yOff = 7;
        float[] x = random(xOff + m * ldx, 1), w = random(n * k, 0.1), bias = random(n, 1);
        for (Storage s : Storage.values()) {
            WeightMatrix wm = storeAs(w, n, k, s);
            float[] wq = new float[n * k];                 // the weights as the storage rounds them
            for (int r = 0; r < n; r++) for (int c = 0; c < k; c++) wq[r * k + c] = wm.get(r, c);
            try (Backend.Buffer bx = b.upload(x); Backend.Buffer bb = b.upload(bias);
                 Backend.Buffer by = b.allocate(yOff + m * ldy)) {
                b.linear(bx, xOff, ldx, m, b.weights(wm), bb, by, yOff, ldy);
                float[] y = b.download(by);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s2 = bias[j], mag = Math.abs(bias[j]);
                        for (int t = 0; t < k; t++) {
                            double p = (double) x[xOff + i * ldx + t] * wq[j * k + t];
                            s2 += p;
                            mag += Math.abs(p);
                        }
                        assertGemm(s2, mag, k, y[yOff + i * ldy + j], s + " (" + i + "," + j + ")");
                    }
                }
                for (int t = 0; t < yOff; t++) assertEquals(0f, y[t], "nothing written before the offset");
            }
        }
    }

    @Test
    void matmulRightMultipliedProjection() {
        Backend b = backend();
        int m = 5, k = 64, n = 48;
        float[] x = random(m * k, 1), w = random(k * n, 0.2);
        try (Backend.Buffer bx = b.upload(x); Backend.Buffer by = b.allocate(m * n)) {
            b.matmul(bx, 0, k, m, b.weights(WeightMatrix.of(w, k, n)), by, 0, n);
            float[] y = b.download(by);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, mag = 0;
                    for (int t = 0; t < k; t++) {
                        double p = (double) x[i * k + t] * w[t * n + j];
                        s += p;
                        mag += Math.abs(p);
                    }
                    assertGemm(s, mag, k, y[i * n + j], "(" + i + "," + j + ")");
                }
            }
        }
    }

    /** Attention's layout: heads of a packed QKV buffer ([n, 3d]) as strided batches. */
    @Test
    void batchedGemmsOverHeadsOfAPackedQkvBuffer() {
        Backend b = backend();
        int n = 29, heads = 4, hd = 16, d = heads * hd, ld = 3 * d;
        float scale = 0.25f;
        float[] qkv = random(n * ld, 1);
        try (Backend.Buffer bq = b.upload(qkv); Backend.Buffer scores = b.allocate((long) heads * n * n);
             Backend.Buffer ctx = b.allocate((long) n * d)) {
            b.gemmNT(heads, n, n, hd, scale, bq, 0, ld, hd, bq, d, ld, hd, scores, 0, n, (long) n * n);
            float[] s = b.download(scores);
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        double v = 0, mag = 0;
                        for (int t = 0; t < hd; t++) {
                            double p = (double) qkv[i * ld + h * hd + t] * qkv[j * ld + d + h * hd + t];
                            v += p;
                            mag += Math.abs(p);
                        }
                        assertGemm(scale * v, scale * mag, hd, s[h * n * n + i * n + j], "scores h" + h);
                    }
                }
            }
            // context[:, h*hd..] = scores_h · V_h
            b.gemmNN(heads, n, hd, n, scores, 0, n, (long) n * n, bq, 2 * d, ld, hd, ctx, 0, d, hd);
            float[] c = b.download(ctx);
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < hd; j++) {
                        double v = 0, mag = 0;
                        for (int t = 0; t < n; t++) {
                            double p = (double) s[h * n * n + i * n + t] * qkv[t * ld + 2 * d + h * hd + j];
                            v += p;
                            mag += Math.abs(p);
                        }
                        assertGemm(v, mag, n, c[i * d + h * hd + j], "context h" + h);
                    }
                }
            }
        }
    }

    @Test
    void layerNormStridedAndInPlace() {
        Backend b = backend();
        int rows = 9, cols = 768, ld = 800;
        float[] x = random(rows * ld, 3), gamma = random(cols, 1), beta = random(cols, 1);
        for (int i = 0; i < x.length; i++) x[i] += 5f;        // an offset mean, as real activations have
        try (Backend.Buffer bx = b.upload(x); Backend.Buffer g = b.upload(gamma); Backend.Buffer be = b.upload(beta)) {
            b.layerNorm(bx, 0, ld, rows, cols, g, be, 1e-5f, bx, 0, ld);
            float[] y = b.download(bx);
            for (int r = 0; r < rows; r++) {
                double mean = 0, var = 0;
                for (int c = 0; c < cols; c++) mean += x[r * ld + c];
                mean /= cols;
                for (int c = 0; c < cols; c++) var += (x[r * ld + c] - mean) * (x[r * ld + c] - mean);
                var /= cols;
                for (int c = 0; c < cols; c++) {
                    double want = (x[r * ld + c] - mean) / Math.sqrt(var + 1e-5) * gamma[c] + beta[c];
                    assertEquals(want, y[r * ld + c], 2e-5 * (1 + Math.abs(want)), "row " + r + " col " + c);
                }
                for (int c = cols; c < ld && r < rows - 1; c++) assertEquals(x[r * ld + c], y[r * ld + c], "padding kept");
            }
        }
    }

    @Test
    void softmaxCausalOverStackedMatrices() {
        Backend b = backend();
        int per = 7, mats = 3, cols = 7, rows = per * mats;
        float[] x = random(rows * cols, 4);
        try (Backend.Buffer bx = b.upload(x)) {
            b.softmaxRows(bx, 0, cols, rows, cols, true, 0, per);
            float[] y = b.download(bx);
            for (int r = 0; r < rows; r++) {
                int kept = r % per + 1;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int c = 0; c < kept; c++) max = Math.max(max, x[r * cols + c]);
                for (int c = 0; c < kept; c++) sum += Math.exp(x[r * cols + c] - max);
                for (int c = 0; c < cols; c++) {
                    double want = c < kept ? Math.exp(x[r * cols + c] - max) / sum : 0;
                    assertEquals(want, y[r * cols + c], 1e-6, "row " + r + " col " + c);
                }
            }
        }
        float[] z = random(5 * 300, 10);
        try (Backend.Buffer bz = b.upload(z)) {
            b.softmaxRows(bz, 0, 300, 5, 300, false, 0, 5);
            float[] y = b.download(bz);
            for (int r = 0; r < 5; r++) {
                double s = 0;
                for (int c = 0; c < 300; c++) s += y[r * 300 + c];
                assertEquals(1.0, s, 1e-5, "row sums");
            }
        }
    }

    @Test
    void elementwiseQuickGeluAndAdd() {
        Backend b = backend();
        int n = 10_000;
        float[] x = random(n, 8), y = random(n, 1);
        try (Backend.Buffer bx = b.upload(x); Backend.Buffer by = b.upload(y)) {
            b.quickGelu(bx, 3, n - 3);
            b.add(bx, 0, by, 0, n);
            float[] got = b.download(bx);
            for (int i = 0; i < n; i++) {
                double g = i < 3 ? x[i] : x[i] / (1 + Math.exp(-1.702 * x[i]));
                assertEquals(g + y[i], got[i], 1e-5 * (1 + Math.abs(g)), "element " + i);
            }
        }
    }

    @Test
    void cosineNormalizationOfStackedGramMatrices() {
        Backend b = backend();
        int n = 12, dim = 8, batch = 6;
        float[] vectors = random(batch * n * dim, 1);
        float[] gram = new float[batch * n * n];
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int c = 0; c < dim; c++) s += vectors[(t * n + i) * dim + c] * vectors[(t * n + j) * dim + c];
                    gram[t * n * n + i * n + j] = (float) s;
                }
            }
        }
        try (Backend.Buffer bg = b.upload(gram); Backend.Buffer out = b.allocate(n * n)) {
            b.cosineNormalize(bg, batch, n, 1f / batch, out);
            float[] w = b.download(out);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int t = 0; t < batch; t++) {
                        double gij = gram[t * n * n + i * n + j];
                        s += gij / Math.max(Math.sqrt(gram[t * n * n + i * n + i]) * Math.sqrt(gram[t * n * n + j * n + j]), 1e-8);
                    }
                    assertEquals(s / batch, w[i * n + j], 1e-5, "(" + i + "," + j + ")");
                }
                assertEquals(1.0, w[i * n + i], 1e-5, "a vector is perfectly correlated with itself");
            }
        }
    }

    @Test
    void bilinearIsBitExactWithResample() {
        Backend b = backend();
        int[][] cases = {{3, 4, 5, 64, 65}, {21, 14, 14, 56, 56}, {2, 7, 5, 50, 90}, {1, 9, 9, 9, 9}, {4, 24, 24, 336, 336}};
        for (int[] c : cases) {
            float[] src = random(c[0] * c[1] * c[2], 2);
            float[] want = Resample.bilinear(src, c[0], c[1], c[2], c[3], c[4]);
            try (Backend.Buffer bs = b.upload(src); Backend.Buffer bd = b.allocate(want.length)) {
                b.bilinear(bs, c[0], c[1], c[2], bd, c[3], c[4]);
                assertArrayEquals(want, b.download(bd), java.util.Arrays.toString(c));
            }
        }
    }

    @Test
    void medianIsBitExactWithMedianFilter() {
        Backend b = backend();
        int planes = 3, h = 23, w = 17;
        float[] src = random(planes * h * w, 1);
        for (int i = 0; i < src.length; i += 5) src[i] = 0.5f;    // ties
        for (int k : new int[] {1, 2, 3, 7}) {
            float[] want = new float[src.length];
            for (int p = 0; p < planes; p++) {
                float[] plane = java.util.Arrays.copyOfRange(src, p * h * w, (p + 1) * h * w);
                System.arraycopy(MedianFilter.median(plane, h, w, k), 0, want, p * h * w, h * w);
            }
            try (Backend.Buffer bs = b.upload(src); Backend.Buffer bd = b.allocate(src.length)) {
                b.median(bs, planes, h, w, k, bd);
                assertArrayEquals(want, b.download(bd), "k=" + k);
            }
        }
    }

    @Test
    void copyZeroAndWrite() {
        Backend b = backend();
        float[] x = random(100, 1);
        try (Backend.Buffer a = b.upload(x); Backend.Buffer c = b.allocate(120)) {
            b.copy(a, 10, c, 20, 50);
            b.zero(c, 30, 5);
            b.write(new float[] {7f, 8f}, 0, 2, c, 0);
            float[] got = b.download(c);
            assertEquals(7f, got[0]);
            assertEquals(8f, got[1]);
            for (int i = 20; i < 70; i++) assertEquals(i >= 30 && i < 35 ? 0f : x[i - 10], got[i], "element " + i);
        }
    }

    /** {@code values} stored as {@code s} (F16/BF16 round the values) in a little-endian heap segment. */
    static WeightMatrix storeAs(float[] values, int rows, int cols, Storage s) {
        if (s == Storage.F32) return WeightMatrix.of(values, rows, cols);
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        for (int i = 0; i < values.length; i++) {
            short bits = s == Storage.F16 ? Float.floatToFloat16(values[i])
                    : (short) (Float.floatToRawIntBits(values[i]) >>> 16);   // truncation is a valid bf16 too
            seg.set(WeightMatrix.I16_LE, 2L * i, bits);
        }
        return new WeightMatrix(seg, s, rows, cols);
    }
}
