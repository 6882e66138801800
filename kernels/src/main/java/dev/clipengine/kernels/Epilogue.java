package dev.clipengine.kernels;

/**
 * What a GEMM does with each finished output tile while it is still in cache. Fusing these saves a full pass over the
 * output (and, for {@link #ACCUMULATE}, the temporary the result would otherwise go through).
 */
public enum Epilogue {
    /** {@code C = A·op(B) (+ bias)}. */
    STORE,
    /** {@code C += A·op(B) (+ bias)}: a residual connection. */
    ACCUMULATE,
    /** {@code C = QuickGELU(A·op(B) (+ bias))}, QuickGELU being {@code v·sigmoid(1.702 v)}. */
    QUICK_GELU
}
