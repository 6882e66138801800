package dev.clipengine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GemmTest {

    /** (m, n, k): unit sizes, odd sizes around the 16-lane vector and 48-column panel, and depth > one KC block. */
    static final int[][] SHAPES = {
        {1, 1, 1}, {1, 17, 3}, {3, 1, 17}, {2, 49, 1}, {5, 48, 16}, {4, 96, 33}, {17, 65, 197}, {33, 33, 65},
        {197, 17, 7}, {7, 100, 300}, {65, 130, 129},
        // narrow last panels (one and two vectors) with odd depths: an attention head's 64 = 48 + 16 columns
        {12, 64, 33}, {8, 10, 129}, {9, 80, 3},
        // depths of several blocks: 2 × 500, 3 × 513 with a shorter last one (C read back between blocks)
        {9, 50, 1000}, {6, 97, 1537},
    };

    private static CpuBackend backend;

    @BeforeAll
    static void start() {
        backend = new CpuBackend(3); // more threads than cores is fine and exercises the hand-off
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @ParameterizedTest
    @EnumSource(Storage.class)
    void linearMatchesReferenceForEveryPlacement(Storage storage) {
        Random rnd = new Random(1 + storage.ordinal());
        for (Arena arena : new Arena[] {Arena.ofConfined(), Arena.ofShared()}) {
            // Confined segments are readable by this thread only and take the caller-only path; shared ones go parallel.
            for (TestData.Placement placement : TestData.Placement.values()) {
                for (int[] s : SHAPES) {
                    int m = s[0], n = s[1], k = s[2];
                    WeightMatrix w = TestData.weights(TestData.random(rnd, n * k), n, k, storage, placement, arena);
                    float[] bias = rnd.nextBoolean() ? TestData.random(rnd, n) : null;
                    // Strided, offset input and output: rows padded by 3, 5 floats before the first row.
                    int ldx = k + 3, ldy = n + 2, xOff = 5, yOff = 7;
                    float[] x = TestData.random(rnd, xOff + m * ldx);
                    float[] y = TestData.random(rnd, yOff + m * ldy); // garbage that must be overwritten
                    float[] before = y.clone();
                    backend.linear(x, xOff, ldx, m, w, bias, y, yOff, ldy);
                    Reference.Product ref = Reference.gemm(m, n, k, 1f, x, xOff, ldx, (kk, j) -> w.get(j, kk), bias);
                    String what = "linear " + storage + " " + placement + " " + m + "x" + n + "x" + k;
                    assertClose(what, ref, k, y, yOff, ldy, m, n);
                    assertPaddingUntouched(what, before, y, yOff, ldy, m, n);
                }
            }
            arena.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Storage.class)
    void matmulMatchesReferenceForEveryPlacement(Storage storage) {
        Random rnd = new Random(11 + storage.ordinal());
        for (Arena arena : new Arena[] {Arena.ofConfined(), Arena.ofShared()}) {
            // Confined segments are readable by this thread only and take the caller-only path; shared ones go parallel.
            for (TestData.Placement placement : TestData.Placement.values()) {
                for (int[] s : SHAPES) {
                    int m = s[0], n = s[1], k = s[2];
                    WeightMatrix w = TestData.weights(TestData.random(rnd, k * n), k, n, storage, placement, arena);
                    float[] x = TestData.random(rnd, m * k);
                    float[] y = new float[m * n];
                    backend.matmul(x, 0, k, m, w, y, 0, n);
                    Reference.Product ref = Reference.gemm(m, n, k, 1f, x, 0, k, (kk, j) -> w.get(kk, j), null);
                    assertClose("matmul " + storage + " " + placement + " " + m + "x" + n + "x" + k, ref, k, y, 0, n, m, n);
                }
            }
            arena.close();
        }
    }

    @Test
    void depthIsCutIntoFewEqualBlocks() {
        // hand-computed: the fewest blocks of at most KC, equal but for a shorter last one
        assertEquals(768, Gemm.depthStep(768));
        assertEquals(768, Gemm.depthStep(3072));
        assertEquals(512, Gemm.depthStep(1024));
        assertEquals(513, Gemm.depthStep(1537));
        assertEquals(64, Gemm.depthStep(64));
        assertEquals(1, Gemm.depthStep(1));
        for (int k = 1; k <= 5000; k++) {
            int step = Gemm.depthStep(k), blocks = (k + step - 1) / step;
            assertTrue(step <= Gemm.KC && blocks == (k + Gemm.KC - 1) / Gemm.KC, "k=" + k);
        }
    }

    @Test
    void gemmNTWithAlphaAndStrides() {
        Random rnd = new Random(21);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            int lda = k + 1, ldb = k + 4, ldc = n + 3;
            float[] a = TestData.random(rnd, 2 + m * lda);
            float[] b = TestData.random(rnd, 3 + n * ldb);
            float[] c = TestData.random(rnd, 1 + m * ldc);
            float[] before = c.clone();
            float alpha = 0.125f;
            backend.gemmNT(m, n, k, alpha, a, 2, lda, b, 3, ldb, c, 1, ldc);
            Reference.Product ref = Reference.gemm(m, n, k, alpha, a, 2, lda, (kk, j) -> b[3 + j * ldb + kk], null);
            String what = "gemmNT " + m + "x" + n + "x" + k;
            assertClose(what, ref, k, c, 1, ldc, m, n);
            assertPaddingUntouched(what, before, c, 1, ldc, m, n);
        }
    }

    @Test
    void gemmNNWithStrides() {
        Random rnd = new Random(31);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            int lda = k + 2, ldb = n + 5, ldc = n + 1;
            float[] a = TestData.random(rnd, m * lda);
            float[] b = TestData.random(rnd, 4 + k * ldb);
            float[] c = TestData.random(rnd, m * ldc);
            float[] before = c.clone();
            backend.gemmNN(m, n, k, a, 0, lda, b, 4, ldb, c, 0, ldc);
            Reference.Product ref = Reference.gemm(m, n, k, 1f, a, 0, lda, (kk, j) -> b[4 + kk * ldb + j], null);
            String what = "gemmNN " + m + "x" + n + "x" + k;
            assertClose(what, ref, k, c, 0, ldc, m, n);
            assertPaddingUntouched(what, before, c, 0, ldc, m, n);
        }
    }

    @ParameterizedTest
    @EnumSource(Storage.class)
    void accumulateEpilogueAddsTheProductToTheOutput(Storage storage) {
        Random rnd = new Random(61 + storage.ordinal());
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : SHAPES) {
                int m = s[0], n = s[1], k = s[2];
                WeightMatrix w = TestData.weights(TestData.random(rnd, n * k), n, k, storage,
                        TestData.Placement.OFF_HEAP, arena);
                float[] bias = rnd.nextBoolean() ? TestData.random(rnd, n) : null;
                int ldy = n + 2, yOff = 3;
                float[] x = TestData.random(rnd, m * k);
                float[] y = TestData.random(rnd, yOff + m * ldy);
                float[] before = y.clone();
                backend.linear(x, 0, k, m, w, bias, y, yOff, ldy, Epilogue.ACCUMULATE);
                Reference.Product p = Reference.gemm(m, n, k, 1f, x, 0, k, (kk, j) -> w.get(j, kk), bias);
                double[] value = p.value().clone(), magnitude = p.magnitude().clone();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        float old = before[yOff + i * ldy + j];
                        value[i * n + j] += old;
                        magnitude[i * n + j] += Math.abs(old);
                    }
                }
                String what = "linear+= " + storage + " " + m + "x" + n + "x" + k;
                assertClose(what, new Reference.Product(value, magnitude), k, y, yOff, ldy, m, n);
                assertPaddingUntouched(what, before, y, yOff, ldy, m, n);
            }
        }
    }

    @Test
    void quickGeluEpilogueMatchesGemmThenActivation() {
        Random rnd = new Random(71);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            WeightMatrix w = WeightMatrix.of(TestData.random(rnd, n * k), n, k);
            float[] bias = TestData.random(rnd, n);
            float[] x = TestData.random(rnd, m * k);
            float[] fused = TestData.random(rnd, m * n), plain = new float[m * n];
            backend.linear(x, 0, k, m, w, bias, fused, 0, n, Epilogue.QUICK_GELU);
            backend.linear(x, 0, k, m, w, bias, plain, 0, n);
            backend.quickGelu(plain, 0, m * n);
            // Same products, same activation code: the fusion must not change a single bit.
            for (int i = 0; i < m * n; i++) {
                if (Float.compare(fused[i], plain[i]) != 0) {
                    fail("gelu epilogue " + m + "x" + n + "x" + k + " element " + i + ": " + fused[i] + " vs " + plain[i]);
                }
            }
            Reference.Product p = Reference.gemm(m, n, k, 1f, x, 0, k, (kk, j) -> w.get(j, kk), bias);
            for (int i = 0; i < m * n; i++) {
                double expected = Reference.quickGelu((float) p.value()[i]);
                assertEquals(expected, fused[i], 1e-4 * (1 + p.magnitude()[i]), "gelu epilogue vs reference");
            }
        }
    }

    @Test
    void largeEnoughToSplitAcrossThreadsAndDepthBlocks() {
        Random rnd = new Random(41);
        int m = 37, n = 211, k = 515;
        WeightMatrix w = WeightMatrix.of(TestData.random(rnd, n * k), n, k);
        float[] x = TestData.random(rnd, m * k);
        float[] bias = TestData.random(rnd, n);
        float[] y = new float[m * n];
        backend.linear(x, 0, k, m, w, bias, y, 0, n);
        assertClose("linear big", Reference.gemm(m, n, k, 1f, x, 0, k, (kk, j) -> w.get(j, kk), bias), k, y, 0, n, m, n);
    }

    @Test
    void singleThreadBackendGivesSameResults() {
        Random rnd = new Random(51);
        int m = 19, n = 70, k = 140;
        WeightMatrix w = WeightMatrix.of(TestData.random(rnd, n * k), n, k);
        float[] x = TestData.random(rnd, m * k);
        float[] y1 = new float[m * n], y3 = new float[m * n];
        try (CpuBackend single = new CpuBackend(1)) {
            assertEquals(1, single.threads());
            single.linear(x, 0, k, m, w, null, y1, 0, n);
        }
        backend.linear(x, 0, k, m, w, null, y3, 0, n);
        // Every element is computed by the same kernel whichever thread runs it: results are bit-identical.
        assertTrue(java.util.Arrays.equals(y1, y3));
    }

    @ParameterizedTest
    @EnumSource(Storage.class)
    void prepackedWeightsGiveTheSameBitsAsPackingOnTheFly(Storage storage) {
        Random rnd = new Random(91 + storage.ordinal());
        // confined: the on-the-fly multiply runs on the caller only, the packed copy on the whole pool
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : SHAPES) {
                int m = s[0], n = s[1], k = s[2];
                WeightMatrix w = TestData.weights(TestData.random(rnd, n * k), n, k, storage,
                        TestData.Placement.UNALIGNED, arena);
                PackedLinear packed = PackedLinear.of(w);
                assertEquals(n, packed.rows());
                assertEquals(k, packed.cols());
                float[] bias = rnd.nextBoolean() ? TestData.random(rnd, n) : null;
                float[] x = TestData.random(rnd, m * k);
                for (Epilogue e : Epilogue.values()) {
                    float[] start = TestData.random(rnd, m * n);
                    float[] fly = start.clone(), pre = start.clone();
                    backend.linear(x, 0, k, m, w, bias, fly, 0, n, e);
                    backend.linear(x, 0, k, m, packed, bias, pre, 0, n, e);
                    for (int i = 0; i < m * n; i++) {
                        if (Float.compare(fly[i], pre[i]) != 0) {
                            fail("prepacked " + storage + " " + e + " " + m + "x" + n + "x" + k + " element " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void packingStopsAtItsShareOfTheHeap() {
        long budget = PackedLinear.budget();
        assertTrue(budget <= Runtime.getRuntime().maxMemory() * PackedLinear.HEAP_SHARE, "a share of the heap");
        assertTrue(!PackedLinear.reserve(budget + 1), "more than the whole budget is refused");
        assertTrue(PackedLinear.reserve(0), "nothing always fits");
    }

    @Test
    void eachRowGetsTheSameBitsWhateverTheRowCount() {
        // Rows go through different kernels (groups of 4, leftovers, narrow panels); all must sum in the same order,
        // so that a batch of prompts gives each prompt exactly the feature it gets alone.
        Random rnd = new Random(81);
        for (int n : new int[] {10, 30, 64, 100, 442}) {
            int m = 13, k = 150;
            WeightMatrix w = WeightMatrix.of(TestData.random(rnd, n * k), n, k);
            float[] bias = TestData.random(rnd, n);
            float[] x = TestData.random(rnd, m * k);
            float[] all = new float[m * n];
            backend.linear(x, 0, k, m, w, bias, all, 0, n);
            for (int i = 0; i < m; i++) {
                float[] one = new float[n];
                backend.linear(x, i * k, k, 1, w, bias, one, 0, n);
                for (int j = 0; j < n; j++) {
                    if (Float.compare(one[j], all[i * n + j]) != 0) {
                        fail("n=" + n + " row " + i + " col " + j + ": " + one[j] + " alone, " + all[i * n + j] + " in a batch");
                    }
                }
            }
        }
    }

    static void assertClose(String what, Reference.Product ref, int k, float[] got, int off, int ld, int m, int n) {
        double tol = 1e-5 * Math.sqrt(Math.max(k, 1));
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double expected = ref.value()[i * n + j];
                double actual = got[off + i * ld + j];
                double bound = tol * (ref.magnitude()[i * n + j] + 1e-6);
                if (!(Math.abs(actual - expected) <= bound)) {
                    fail(what + ": element (" + i + "," + j + ") = " + actual + ", expected " + expected
                            + " ± " + bound);
                }
            }
        }
    }

    /** Strided outputs must leave the gaps between rows (and everything outside the matrix) alone. */
    static void assertPaddingUntouched(String what, float[] before, float[] after, int off, int ld, int m, int n) {
        for (int idx = 0; idx < after.length; idx++) {
            int rel = idx - off;
            boolean inside = rel >= 0 && rel / ld < m && rel % ld < n;
            if (!inside && Float.compare(before[idx], after[idx]) != 0) {
                fail(what + ": wrote outside the output matrix at index " + idx);
            }
        }
    }
}
