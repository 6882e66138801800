/**
 * CPU compute kernels for the CLIP engine, JDK only (Vector API + FFM).
 *
 * <ul>
 *   <li>{@link dev.clipengine.kernels.CpuBackend}: fp32 GEMMs against {@link dev.clipengine.kernels.WeightMatrix}
 *       weights stored F32/F16/BF16 (widened while packing), LayerNorm, softmax, QuickGELU, a shared work pool.</li>
 *   <li>{@link dev.clipengine.kernels.Resample}: PyTorch-exact bilinear/bicubic interpolation.</li>
 *   <li>{@link dev.clipengine.kernels.MedianFilter}: scipy-exact median filter.</li>
 * </ul>
 * Scalar reference implementations used as test oracles live in the test sources ({@code Reference}).
 */
package dev.clipengine.kernels;
