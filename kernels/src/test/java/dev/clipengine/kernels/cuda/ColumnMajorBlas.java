package dev.clipengine.kernels.cuda;

/**
 * The reference SGEMM of the BLAS specification, column-major: element (i, j) of a matrix with leading dimension ld
 * is at {@code off + i + j·ld}; {@code C = alpha·op(A)·op(B) + beta·C} with op(A) m×k, op(B) k×n. Written from the
 * spec, independent of {@link GemmPlan}, to stand in for cuBLAS where there is no GPU.
 */
final class ColumnMajorBlas {

    private ColumnMajorBlas() {
    }

    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        // the argument checks cuBLAS makes (CUBLAS_STATUS_INVALID_VALUE)
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative size");
        if (lda < Math.max(1, transA ? k : m)) throw new IllegalArgumentException("lda " + lda);
        if (ldb < Math.max(1, transB ? n : k)) throw new IllegalArgumentException("ldb " + ldb);
        if (ldc < Math.max(1, m)) throw new IllegalArgumentException("ldc " + ldc);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    float av = transA ? a[aOff + l + i * lda] : a[aOff + i + l * lda];
                    float bv = transB ? b[bOff + j + l * ldb] : b[bOff + l + j * ldb];
                    s += (double) av * bv;
                }
                int ci = cOff + i + j * ldc;
                c[ci] = (float) (alpha * s + (beta == 0 ? 0 : beta * c[ci]));
            }
        }
    }
}
