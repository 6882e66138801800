package dev.clipengine.kernels.cuda;

import dev.clipengine.cuda.Cublas;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Row-major GEMMs run through their cuBLAS plans on a column-major BLAS reference equal a row-major reference. */
class GemmPlanTest {

    /** What cuBLAS would do with the plan, one batch entry at a time. */
    private static void execute(GemmPlan p, float[] a, float[] b, float[] c) {
        for (int t = 0; t < p.batch(); t++) {
            ColumnMajorBlas.sgemm(p.transa() == Cublas.CUBLAS_OP_T, p.transb() == Cublas.CUBLAS_OP_T, p.m(), p.n(), p.k(),
                    p.alpha(), b, (int) (p.firstOff() + t * p.firstStride()), p.firstLd(),
                    a, (int) (p.secondOff() + t * p.secondStride()), p.secondLd(), 0f,
                    c, (int) (p.cOff() + t * p.cStride()), p.ldc());
        }
    }

    private static float rowMajorRef(boolean bT, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int i,
                                     int j, int k, float alpha) {
        double s = 0;
        for (int l = 0; l < k; l++) {
            float bv = bT ? b[bOff + j * ldb + l] : b[bOff + l * ldb + j];
            s += (double) a[aOff + i * lda + l] * bv;
        }
        return (float) (alpha * s);
    }

    @Test
    void randomShapesOffsetsAndStrides() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int iter = 0; iter < 300; iter++) {
            boolean bT = rnd.nextBoolean();
            int batch = 1 + rnd.nextInt(3), m = 1 + rnd.nextInt(9), n = 1 + rnd.nextInt(9), k = 1 + rnd.nextInt(9);
            int lda = k + rnd.nextInt(3), ldb = (bT ? k : n) + rnd.nextInt(3), ldc = n + rnd.nextInt(3);
            int aRows = m, bRows = bT ? n : k;
            long strideA = (long) aRows * lda + rnd.nextInt(4), strideB = (long) bRows * ldb + rnd.nextInt(4);
            long strideC = (long) m * ldc + rnd.nextInt(4);
            if (rnd.nextInt(4) == 0) strideB = 0;      // a shared operand, as a weight across the batch
            int aOff = rnd.nextInt(5), bOff = rnd.nextInt(5), cOff = rnd.nextInt(5);
            float alpha = rnd.nextBoolean() ? 1f : 0.125f;
            float[] a = random(rnd, (int) (aOff + batch * strideA + aRows * lda));
            float[] b = random(rnd, (int) (bOff + batch * Math.max(strideB, 1) + bRows * ldb));
            float[] c = new float[(int) (cOff + batch * strideC + m * ldc)];
            java.util.Arrays.fill(c, Float.NaN);   // untouched entries must stay NaN (no writes outside the matrices)

            GemmPlan p = GemmPlan.rowMajor(bT, batch, m, n, k, alpha, aOff, lda, strideA, bOff, ldb, strideB,
                    cOff, ldc, strideC);
            assertTrue(p.secondExtent() <= a.length - aOff && p.firstExtent() <= b.length - bOff
                    && p.cExtent() <= c.length - cOff, "extents inside the buffers");
            execute(p, a, b, c);
            int written = 0;
            for (int t = 0; t < batch; t++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        float want = rowMajorRef(bT, a, (int) (aOff + t * strideA), lda, b, (int) (bOff + t * strideB),
                                ldb, i, j, k, alpha);
                        assertEquals(want, c[(int) (cOff + t * strideC + i * ldc + j)], 1e-5f,
                                "iter " + iter + " batch " + t + " (" + i + "," + j + ")");
                        written++;
                    }
                }
            }
            int finite = 0;
            for (float v : c) if (!Float.isNaN(v)) finite++;
            assertEquals(written, finite, "iter " + iter + ": the plan wrote outside C");
        }
    }

    @Test
    void linearMapsToTransposedFirstOperand() {
        // y[m×n] = x[m×k]·Wᵀ with W n×k: cuBLAS(T, N, n, m, k, W, k, x, ldx, y, ldy)
        GemmPlan p = GemmPlan.rowMajor(true, 1, 50, 768, 3072, 1f, 0, 3072, 0, 0, 3072, 0, 0, 768, 0);
        assertEquals(Cublas.CUBLAS_OP_T, p.transa());
        assertEquals(Cublas.CUBLAS_OP_N, p.transb());
        assertEquals(768, p.m());
        assertEquals(50, p.n());
        assertEquals(3072, p.k());
        assertEquals(3072, p.firstLd());
        assertEquals(3072, p.secondLd());
        assertEquals(768, p.ldc());
    }

    @Test
    void invalidLeadingDimensionsAreRefusedBeforeCublas() {
        assertThrows(IllegalArgumentException.class, () -> GemmPlan.rowMajor(true, 1, 4, 4, 8, 1f, 0, 7, 0, 0, 8, 0, 0, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> GemmPlan.rowMajor(false, 1, 4, 6, 8, 1f, 0, 8, 0, 0, 5, 0, 0, 6, 0));
        assertThrows(IllegalArgumentException.class, () -> GemmPlan.rowMajor(true, 1, 4, 6, 8, 1f, 0, 8, 0, 0, 8, 0, 0, 5, 0));
        assertThrows(IllegalArgumentException.class, () -> GemmPlan.rowMajor(true, 0, 4, 6, 8, 1f, 0, 8, 0, 0, 8, 0, 0, 6, 0));
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }
}
