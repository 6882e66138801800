package dev.clipengine.kernels.cuda;

import dev.clipengine.cuda.Cublas;

/**
 * How cuBLAS multiplies. FP32 is the default and the only mode held to the CPU conformance tolerances; the others trade
 * accuracy for tensor-core speed and are opt-in.
 *
 * <ul>
 *   <li>{@link #FP32}: {@code CUBLAS_COMPUTE_32F}, default math mode: IEEE fp32 products and sums (no TF32, which
 *       cuBLAS only uses under {@code FAST_TF32} or the TF32 math mode).</li>
 *   <li>{@link #TF32}: {@code CUBLAS_COMPUTE_32F_FAST_TF32}: inputs rounded to TF32 (10-bit mantissa) inside the tensor
 *       cores, fp32 accumulation. Relative error per product about 2⁻¹¹; see the tolerances in
 *       {@code BackendContractTest}.</li>
 *   <li>{@link #BF16}: weights stored on the device as bf16 (half the memory traffic), activations rounded to bf16 by
 *       {@code f32_to_bf16} before each weight GEMM, fp32 accumulation and output
 *       ({@code cublasGemmEx(A=B=CUDA_R_16BF, C=CUDA_R_32F, CUBLAS_COMPUTE_32F)}); activation×activation products
 *       (attention) use {@code CUBLAS_COMPUTE_32F_FAST_16BF} on fp32 buffers. Comparable to PyTorch autocast BF16.</li>
 * </ul>
 * DBSCAN's Gram matrix always uses FP32 whatever the mode: its safety band assumes fp32 rounding.
 */
public enum Precision {
    FP32(Cublas.CUBLAS_COMPUTE_32F),
    TF32(Cublas.CUBLAS_COMPUTE_32F_FAST_TF32),
    BF16(Cublas.CUBLAS_COMPUTE_32F_FAST_16BF);

    /** Compute type for products whose operands are fp32 buffers. */
    final int fp32OperandCompute;

    Precision(int fp32OperandCompute) {
        this.fp32OperandCompute = fp32OperandCompute;
    }

    /** Parses "fp32", "tf32", "bf16" (case-insensitive). */
    public static Precision parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("precision must be fp32, tf32 or bf16, got '" + s + "'");
        }
    }
}
