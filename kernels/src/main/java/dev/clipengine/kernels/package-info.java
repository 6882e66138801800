/**
 * Compute for the CLIP engine: the {@link dev.clipengine.kernels.Backend} interface the model runs on, and its
 * implementations.
 *
 * <ul>
 *   <li>{@link dev.clipengine.kernels.Backend}: buffers where the backend computes, weights prepared once, linear with
 *       fused epilogues, batched GEMMs, multi-head attention ({@link dev.clipengine.kernels.AttentionSpec}), layer
 *       norm, softmax, QuickGELU, the cosine self-correlation, resampling, the median filter and the DBSCAN steps
 *       ({@link dev.clipengine.kernels.DbscanSteps}). {@link dev.clipengine.kernels.Backends} hands out the
 *       implementations, so nothing outside this module names one.</li>
 *   <li>{@link dev.clipengine.kernels.CpuBackend}: JDK only (Vector API + FFM): fp32 GEMMs against
 *       {@link dev.clipengine.kernels.WeightMatrix} weights stored F32/F16/BF16 (widened while packing, pre-packed by
 *       {@link dev.clipengine.kernels.PackedLinear}), the fused attention head, a shared work pool.</li>
 *   <li>{@code dev.clipengine.kernels.cuda.CudaBackend}: cuBLAS and the kernels of {@code clip_kernels.cu} (never run
 *       on a GPU yet, see {@code native-bindings/GPU-TODO.md}).</li>
 *   <li>{@link dev.clipengine.kernels.Resample}: PyTorch-exact bilinear/bicubic interpolation.</li>
 *   <li>{@link dev.clipengine.kernels.MedianFilter}: scipy-exact median filter.</li>
 * </ul>
 * Scalar reference implementations used as test oracles live in the test sources ({@code Reference}).
 */
package dev.clipengine.kernels;
