package dev.clipengine.kernels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link Backend} must do, checked against self-contained scalar references (double accumulation) and,
 * for resampling and the median filter, against the CPU classes bit for bit: every method of the interface (see
 * {@link #everyMethodOfTheInterfaceIsCovered}), the fused attention of every method against the unfused product in
 * double, the linear epilogues, the cosine self-correlation, and the DBSCAN steps against a plain transcription of
 * scikit-learn's DBSCAN. Subclasses supply the backend and its GEMM tolerance: {@link CpuBackendContractTest} here
 * (the {@link CpuBackend} itself), {@code dev.clipengine.kernels.cuda.Cuda*ContractTest} on a GPU.
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
 * Attention propagates the score error {@code Δ} (the GEMM bound above times the scale) into the probabilities (at
 * most {@code 2Δ} relative, {@code 4Δ} allowed) and adds the P·V product's own GEMM bound; everything is relative to
 * {@code Σ_j P_ij·|v_j|}, plus {@code 1e-5} for exp and the softmax's own rounding. Every other kernel runs in fp32 in
 * every mode and keeps the same tolerance for all backends.
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
            float[] part = new float[3];
            b.download(c, 21, part, 0, 3);
            assertArrayEquals(new float[] {x[11], x[12], x[13]}, part, "download with offsets");
        }
        try (Backend.Buffer u = b.upload(x, 5, 10); Backend.Buffer ad = b.adopt(x.clone())) {
            assertEquals(10, u.length());
            assertArrayEquals(Arrays.copyOfRange(x, 5, 15), b.download(u), "upload of a range");
            assertArrayEquals(x, b.download(ad), "adopt");
        }
        try (Backend.Buffer z = b.allocate(7)) {
            assertArrayEquals(new float[7], b.download(z), "allocate zero-fills");
        }
    }

    /** Every method the interface declares, by name: a new method fails this test until it is tested here. */
    static final Set<String> COVERED = Set.of("name", "allocate", "upload", "adopt", "write", "download", "copy", "zero",
            "weights", "linear", "matmul", "gemmNT", "gemmNN", "layerNorm", "softmaxRows", "quickGelu", "add",
            "attention", "cosineSelfCorrelation", "bilinear", "median", "dbscan", "synchronize", "close");

    @Test
    void everyMethodOfTheInterfaceIsCovered() {
        Set<String> declared = new TreeSet<>();
        for (Method m : Backend.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) && m.getDeclaringClass() != Object.class) declared.add(m.getName());
        }
        assertEquals(new TreeSet<>(COVERED), declared, "methods of Backend without a contract test here");
        assertFalse(backend().name().isBlank(), "name");
        backend().synchronize();
    }

    @Test
    void linearEpiloguesAccumulateAndQuickGeluWithAndWithoutBias() {
        Backend b = backend();
        int m = 13, n = 50, k = 70, ldy = n + 6, yOff = 3;
        float[] x = random(m * k, 1), w = random(n * k, 0.2), bias = random(n, 1), y0 = random(yOff + m * ldy, 1);
        try (Backend.Weights wm = b.weights(WeightMatrix.of(w, n, k)); Backend.Buffer bx = b.upload(x);
             Backend.Buffer bb = b.upload(bias)) {
            assertEquals(n, wm.rows());
            assertEquals(k, wm.cols());
            for (Epilogue e : Epilogue.values()) {
                for (boolean withBias : new boolean[] {true, false}) {
                    try (Backend.Buffer by = b.upload(y0)) {
                        b.linear(bx, 0, k, m, wm, withBias ? bb : null, by, yOff, ldy, e);
                        float[] y = b.download(by);
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double s2 = withBias ? bias[j] : 0, mag = Math.abs(s2);
                                for (int t = 0; t < k; t++) {
                                    double p = (double) x[i * k + t] * w[j * k + t];
                                    s2 += p;
                                    mag += Math.abs(p);
                                }
                                double before = y0[yOff + i * ldy + j];
                                double tol = (2.0 * k * 0x1p-24 + gemmInputRounding()) * mag + 1e-6 * (1 + Math.abs(s2));
                                double want = switch (e) {
                                    case STORE -> s2;
                                    case ACCUMULATE -> s2 + before;
                                    case QUICK_GELU -> s2 / (1 + Math.exp(-1.702 * s2));
                                };
                                if (e == Epilogue.ACCUMULATE) tol += 1e-6 * Math.abs(before);
                                float got = y[yOff + i * ldy + j];
                                assertTrue(Math.abs(want - got) <= tol, e + " bias=" + withBias + " (" + i + "," + j
                                        + "): want " + want + " got " + got);
                            }
                            for (int j = n; j < ldy && i < m - 1; j++) {
                                assertEquals(y0[yOff + i * ldy + j], y[yOff + i * ldy + j], "padding kept");
                            }
                        }
                        for (int t = 0; t < yOff; t++) assertEquals(y0[t], y[t], "nothing written before the offset");
                    }
                }
            }
        }
    }

    /** softmax in double of one branch for every head: {@code [heads][n][n]}, causal and bias as the contract says. */
    private static double[][][] referenceProbs(AttentionSpec spec, AttentionSpec.Branch br, float[] qkv, int base, int n,
                                              float[] bias, double[][] scoreError, double rounding) {
        int ld = 3 * spec.width(), hd = spec.headDim();
        double[][][] p = new double[spec.heads()][n][n];
        for (int h = 0; h < spec.heads(); h++) {
            int xq = spec.column(br.query(), h), yk = spec.column(br.key(), h);
            for (int i = 0; i < n; i++) {
                int kept = spec.causal() ? i + 1 : n;
                double max = Double.NEGATIVE_INFINITY, worst = 0;
                double[] s = new double[kept];
                for (int j = 0; j < kept; j++) {
                    double dot = 0, mag = 0;
                    for (int c = 0; c < hd; c++) {
                        double t = (double) qkv[base + i * ld + xq + c] * qkv[base + j * ld + yk + c];
                        dot += t;
                        mag += Math.abs(t);
                    }
                    s[j] = spec.scale() * dot + (bias == null ? 0 : bias[i * n + j]);
                    worst = Math.max(worst, (2.0 * hd * 0x1p-24 + rounding) * Math.abs(spec.scale()) * mag);
                    max = Math.max(max, s[j]);
                }
                scoreError[h][i] = Math.max(scoreError[h][i], worst);
                double sum = 0;
                for (int j = 0; j < kept; j++) sum += s[j] = Math.exp(s[j] - max);
                for (int j = 0; j < kept; j++) p[h][i][j] = s[j] / sum;
            }
        }
        return p;
    }

    /**
     * Runs {@code spec} on the backend over the stacked sequences and checks the output (and the tap) against the
     * unfused product in double, sequence by sequence.
     */
    private void checkAttention(AttentionSpec spec, int[] starts, boolean withBias, boolean withProbs) {
        Backend b = backend();
        int d = spec.width(), ld = 3 * d, hd = spec.headDim(), heads = spec.heads(), rows = starts[starts.length - 1];
        int qkvOff = 5, outOff = 2;
        float[] qkv = random(qkvOff + rows * ld, 1);
        float[] bias = withBias ? random(rows * rows, 2) : null;
        float[] out0 = random(outOff + rows * d, 1);
        String what = spec.branches() + (spec.causal() ? " causal" : "") + " sequences " + Arrays.toString(starts)
                + (withBias ? " bias" : "") + (withProbs ? " probs" : "");
        try (Backend.Buffer bq = b.upload(qkv); Backend.Buffer bo = b.upload(out0);
             Backend.Buffer bb = withBias ? b.upload(bias) : null;
             Backend.Buffer bp = withProbs ? b.allocate((long) heads * rows * rows) : null) {
            b.attention(spec, bq, qkvOff, starts, bb, bp, bo, outOff);
            float[] out = b.download(bo);
            float[] probs = withProbs ? b.download(bp) : null;
            for (int t = 0; t < outOff; t++) assertEquals(out0[t], out[t], what + ": nothing written before the offset");
            for (int s = 0; s + 1 < starts.length; s++) {
                int r0 = starts[s], n = starts[s + 1] - r0, base = qkvOff + r0 * ld;
                double[][] scoreError = new double[heads][n];
                double[][][] sum = new double[heads][n][n];
                for (AttentionSpec.Branch br : spec.branches()) {
                    double[][][] p = referenceProbs(spec, br, qkv, base, n, bias, scoreError, gemmInputRounding());
                    for (int h = 0; h < heads; h++) {
                        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) sum[h][i][j] += p[h][i][j];
                    }
                }
                for (int h = 0; h < heads; h++) {
                    int v = spec.column(AttentionSpec.Part.V, h);
                    for (int i = 0; i < n; i++) {
                        double rel = 1e-5 + 4 * spec.branches().size() * scoreError[h][i]
                                + 2.0 * n * 0x1p-24 + gemmInputRounding();
                        for (int c = 0; c < hd; c++) {
                            double want = 0, mag = 0;
                            if (spec.isIdentity()) {
                                want = qkv[base + i * ld + v + c];
                            } else {
                                for (int j = 0; j < n; j++) {
                                    double vj = qkv[base + j * ld + v + c];
                                    want += sum[h][i][j] * vj;
                                    mag += sum[h][i][j] * Math.abs(vj);
                                }
                            }
                            float got = out[outOff + (r0 + i) * d + h * hd + c];
                            double tol = spec.isIdentity() ? 0 : rel * mag + 1e-6;
                            assertTrue(Math.abs(want - got) <= tol, what + ": sequence " + s + " head " + h + " row " + i
                                    + " col " + c + ": want " + want + " got " + got + " (tol " + tol + ")");
                        }
                        if (withProbs) {
                            for (int j = 0; j < n; j++) {
                                double want = sum[h][i][j], got = probs[(h * n + i) * n + j];
                                double tol = (1e-5 + 2 * spec.branches().size() * scoreError[h][i]) * Math.max(want, 1e-3);
                                assertTrue(Math.abs(want - got) <= tol + 1e-7, what + ": probs head " + h + " (" + i + ","
                                        + j + "): want " + want + " got " + got);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void fusedAttentionOfEveryMethodMatchesTheUnfusedProduct() {
        int heads = 3, hd = 16;
        int[] one = {0, 29};
        checkAttention(AttentionSpec.standard(heads, hd, false), one, false, false);
        checkAttention(AttentionSpec.standard(heads, hd, true), one, false, false);
        // CLIPtrase, SCLIP, ClearCLIP: sums over self-attending branches
        checkAttention(AttentionSpec.selfSum(heads, hd, AttentionSpec.Part.Q, AttentionSpec.Part.K,
                AttentionSpec.Part.V), one, false, false);
        checkAttention(AttentionSpec.selfSum(heads, hd, AttentionSpec.Part.Q, AttentionSpec.Part.K), one, false, false);
        checkAttention(AttentionSpec.selfSum(heads, hd, AttentionSpec.Part.Q), one, false, false);
        checkAttention(AttentionSpec.identity(heads, hd), one, false, false);
        // odd shapes: a head wider than a vector with a tail, one row
        checkAttention(AttentionSpec.standard(2, 21, false), new int[] {0, 53}, false, false);
        checkAttention(AttentionSpec.standard(2, 8, true), new int[] {0, 1}, false, false);
    }

    @Test
    void attentionBiasAndProbabilityTap() {
        int heads = 2, hd = 16;
        int[] one = {0, 23};
        // NACLIP: k·k plus an additive bias
        checkAttention(AttentionSpec.selfSum(heads, hd, AttentionSpec.Part.K), one, true, false);
        // the tap of CLIP's attention, causal or not, with and without a bias
        checkAttention(AttentionSpec.standard(heads, hd, false), one, false, true);
        checkAttention(AttentionSpec.standard(heads, hd, true), one, true, true);
        // a sum's tap is the sum of its probabilities
        checkAttention(AttentionSpec.selfSum(heads, hd, AttentionSpec.Part.Q, AttentionSpec.Part.K), one, false, true);
        checkAttention(new AttentionSpec(heads, hd, 0.3f, List.of(new AttentionSpec.Branch(AttentionSpec.Part.K,
                AttentionSpec.Part.Q)), false), one, true, true);
    }

    @Test
    void attentionOverStackedSequencesStaysWithinEach() {
        int[] starts = {0, 7, 7, 19, 20, 46};   // an empty sequence and a single row among them
        checkAttention(AttentionSpec.standard(2, 16, true), starts, false, false);
        checkAttention(AttentionSpec.standard(2, 16, false), starts, false, false);
        checkAttention(AttentionSpec.selfSum(2, 16, AttentionSpec.Part.Q, AttentionSpec.Part.V), starts, false, false);
        checkAttention(AttentionSpec.identity(2, 16), starts, false, false);
    }

    @Test
    void attentionRefusesTapsOverSeveralSequences() {
        Backend b = backend();
        AttentionSpec spec = AttentionSpec.standard(1, 8, true);
        try (Backend.Buffer q = b.allocate(10 * 24); Backend.Buffer o = b.allocate(10 * 8);
             Backend.Buffer p = b.allocate(100)) {
            assertThrows(IllegalArgumentException.class, () -> b.attention(spec, q, 0, new int[] {0, 4, 10}, null, p, o, 0));
            assertThrows(IllegalArgumentException.class, () -> b.attention(spec, q, 0, new int[] {3, 10}, null, null, o, 0));
        }
    }

    @Test
    void cosineSelfCorrelationIsTheMeanCosineOverSegments() {
        Backend b = backend();
        int n = 17, segments = 6, width = 16, ld = segments * width + 9, off = 4;
        float[] x = random(off + n * ld, 1);
        for (int c = 0; c < width; c++) x[off + 3 * ld + 2 * width + c] = 0f;   // a zero segment: cosine 0
        float scale = 1f / segments;
        try (Backend.Buffer bx = b.upload(x); Backend.Buffer out = b.allocate(n * n)) {
            b.cosineSelfCorrelation(bx, off, ld, n, segments, width, scale, out);
            float[] w = b.download(out);
            double tol = scale * segments * (2.0 * width * 0x1p-24 + gemmInputRounding() + 1e-6) + 1e-6;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int g = 0; g < segments; g++) {
                        double dot = 0, ni = 0, nj = 0;
                        for (int c = 0; c < width; c++) {
                            double a = x[off + i * ld + g * width + c], bb = x[off + j * ld + g * width + c];
                            dot += a * bb;
                            ni += a * a;
                            nj += bb * bb;
                        }
                        s += dot / Math.max(Math.sqrt(ni) * Math.sqrt(nj), 1e-8);
                    }
                    assertEquals(scale * s, w[i * n + j], tol, "(" + i + "," + j + ")");
                }
            }
            assertEquals(1.0, w[0], tol, "a row is perfectly correlated with itself");
        }
    }

    // ---- DBSCAN ---------------------------------------------------------------------------------------------------

    /** The host loop of {@code dev.clipengine.segmentation.Dbscan} (same band constants) over the backend's steps. */
    private static DbscanSteps.Result dbscan(Backend b, float[] x, int n, int dim, double eps, int minSamples) {
        double u = 0x1p-24, gamma = (dim + 2) * u / (1 - (dim + 2) * u);
        try (DbscanSteps steps = b.dbscan(x, n, dim)) {
            steps.neighbours(eps * eps, 2 * gamma, 4.0 * dim * Float.MIN_VALUE);
            steps.core(minSamples);
            for (int sweeps = 0; ; sweeps++) {
                boolean a = steps.propagate(), c = steps.jump();
                if (!a && !c) break;
                assertTrue(sweeps <= 2 * n + 4, "label propagation does not converge");
            }
            steps.number();
            steps.labels();
            return steps.result();
        }
    }

    /** scikit-learn's {@code dbscan_inner}, neighbourhoods from double distances. */
    static int[] referenceDbscan(float[] x, int n, int dim, double eps, int minSamples, boolean[] coreOut) {
        int[][] neighbours = new int[n][];
        for (int i = 0; i < n; i++) {
            int[] list = new int[n];
            int count = 0;
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int t = 0; t < dim; t++) {
                    double dd = (double) x[i * dim + t] - x[j * dim + t];
                    s += dd * dd;
                }
                if (s <= eps * eps) list[count++] = j;
            }
            neighbours[i] = Arrays.copyOf(list, count);
            coreOut[i] = count >= minSamples;
        }
        int[] labels = new int[n];
        Arrays.fill(labels, -1);
        int label = 0;
        ArrayDeque<Integer> stack = new ArrayDeque<>();
        for (int i0 = 0; i0 < n; i0++) {
            if (labels[i0] != -1 || !coreOut[i0]) continue;
            int i = i0;
            while (true) {
                if (labels[i] == -1) {
                    labels[i] = label;
                    if (coreOut[i]) for (int v : neighbours[i]) if (labels[v] == -1) stack.push(v);
                }
                if (stack.isEmpty()) break;
                i = stack.pop();
            }
            label++;
        }
        return labels;
    }

    private void checkDbscan(float[] x, int n, int dim, double eps, int min, String what) {
        boolean[] core = new boolean[n];
        int[] want = referenceDbscan(x, n, dim, eps, min, core);
        DbscanSteps.Result got = dbscan(backend(), x, n, dim, eps, min);
        assertArrayEquals(want, got.labels(), what);
        assertArrayEquals(core, got.core(), what);
        assertEquals(Arrays.stream(want).max().orElse(-1) + 1, got.clusters(), what);
    }

    @Test
    void dbscanStepsGiveScikitLearnsLabels() {
        SplittableRandom r = new SplittableRandom(42);
        for (int n : new int[] {1, 2, 31, 32, 33, 63, 64, 65, 130, 300}) {
            int dim = 1 + r.nextInt(12), centres = 1 + r.nextInt(6);
            float[][] c = new float[centres][dim];
            for (float[] cc : c) for (int t = 0; t < dim; t++) cc[t] = (float) (r.nextDouble() * 10);
            float[] x = new float[n * dim];
            for (int i = 0; i < n; i++) {
                float[] cc = c[r.nextInt(centres)];
                double spread = r.nextDouble() < 0.1 ? 5 : 0.6;          // some noise points
                for (int t = 0; t < dim; t++) x[i * dim + t] = (float) (cc[t] + r.nextGaussian() * spread);
            }
            checkDbscan(x, n, dim, 0.3 + r.nextDouble() * 1.5, 1 + r.nextInt(8), "blobs n=" + n);
        }
    }

    /** Integer grids make many distances exactly eps: the inclusive boundary and the double recomputation decide. */
    @Test
    void dbscanStepsDecideTiesOnTheBoundaryInDouble() {
        SplittableRandom r = new SplittableRandom(3);
        long recomputed = 0;
        for (int rep = 0; rep < 8; rep++) {
            int n = 20 + r.nextInt(100), dim = 2 + r.nextInt(3);
            float[] x = new float[n * dim];
            for (int i = 0; i < x.length; i++) x[i] = r.nextInt(8);
            checkDbscan(x, n, dim, 1.0 + r.nextInt(2), 1 + r.nextInt(5), "grid rep " + rep);
            recomputed += dbscan(backend(), x, n, dim, 1.0, 2).recomputedPairs();
        }
        assertTrue(recomputed > 0, "ties are recomputed");
        // dim 0: every point coincides
        DbscanSteps.Result all = dbscan(backend(), new float[0], 4, 0, 0.5, 3);
        assertArrayEquals(new int[] {0, 0, 0, 0}, all.labels());
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
