package dev.clipengine.kernels.cuda;

import dev.clipengine.cuda.Cublas;

/**
 * A row-major GEMM expressed as the column-major call cuBLAS takes.
 *
 * <p>A row-major matrix X (r×c, leading dimension ld) read column-major is Xᵀ (c×r, same ld), so the row-major product
 * {@code C = A·op(B)} is computed as the column-major product {@code Cᵀ = op(B)ᵀ·Aᵀ}: cuBLAS's first operand is the B
 * buffer, its second the A buffer, and m and n swap. With B stored n×k ({@code C = A·Bᵀ}, PyTorch's Linear) the B
 * buffer read column-major is B itself transposed, so cuBLAS gets {@code transa = T}; with B stored k×n
 * ({@code C = A·B}) it gets {@code N}. The A buffer is always {@code N}. The row-major validity rules
 * (lda ≥ k, ldb ≥ k or n, ldc ≥ n) are exactly cuBLAS's column-major ones after the swap, so they are checked here
 * and cuBLAS never sees an invalid call.
 *
 * <p>Pure arithmetic; verified without a GPU by running the plans through a column-major BLAS reference written from
 * the BLAS specification ({@code GemmPlanTest}).
 *
 * @param transa     cuBLAS op of its first operand (the row-major B buffer)
 * @param transb     cuBLAS op of its second operand (the row-major A buffer), always N
 * @param m          cuBLAS m = row-major n
 * @param n          cuBLAS n = row-major m
 * @param k          shared dimension
 * @param firstOff   element offset into the B buffer; {@code firstLd}, {@code firstStride} likewise
 * @param secondOff  element offset into the A buffer
 */
public record GemmPlan(int transa, int transb, int m, int n, int k, float alpha,
                       long firstOff, int firstLd, long firstStride,
                       long secondOff, int secondLd, long secondStride,
                       long cOff, int ldc, long cStride, int batch) {

    /**
     * {@code C_t[m×n] = alpha · A_t[m×k] · op(B_t)} for t in [0, batch), all row-major.
     *
     * @param bTransposed true: B_t is stored n×k and used transposed ({@code A·Bᵀ}); false: B_t is stored k×n
     */
    public static GemmPlan rowMajor(boolean bTransposed, int batch, int m, int n, int k, float alpha,
                                    long aOff, int lda, long strideA, long bOff, int ldb, long strideB,
                                    long cOff, int ldc, long strideC) {
        if (batch < 1 || m < 1 || n < 1 || k < 1) {
            throw new IllegalArgumentException("GEMM sizes must be positive: batch=" + batch + " m=" + m + " n=" + n + " k=" + k);
        }
        if (aOff < 0 || bOff < 0 || cOff < 0 || strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException("negative offset or stride");
        }
        if (lda < k) throw new IllegalArgumentException("lda " + lda + " < k " + k);
        if (ldb < (bTransposed ? k : n)) throw new IllegalArgumentException("ldb " + ldb + " < " + (bTransposed ? "k " + k : "n " + n));
        if (ldc < n) throw new IllegalArgumentException("ldc " + ldc + " < n " + n);
        return new GemmPlan(bTransposed ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N, Cublas.CUBLAS_OP_N, n, m, k, alpha,
                bOff, ldb, strideB, aOff, lda, strideA, cOff, ldc, strideC, batch);
    }

    /** Elements of the A buffer the plan reads, from its offset: what a bounds check needs. */
    public long secondExtent() {
        return (batch - 1) * secondStride + (long) (n - 1) * secondLd + k;
    }

    /** Elements of the B buffer read, from its offset. */
    public long firstExtent() {
        boolean t = transa == Cublas.CUBLAS_OP_T;
        int rows = t ? m : k;           // row-major rows of the B buffer
        int cols = t ? k : m;
        return (batch - 1) * firstStride + (long) (rows - 1) * firstLd + cols;
    }

    /** Elements of C written, from its offset. */
    public long cExtent() {
        return (batch - 1) * cStride + (long) (n - 1) * ldc + m;
    }
}
