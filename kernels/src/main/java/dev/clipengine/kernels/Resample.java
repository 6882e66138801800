package dev.clipengine.kernels;

/**
 * Exact ports of PyTorch's CPU {@code F.interpolate} (align_corners=False) for planar CHW float images.
 *
 * <p>All arithmetic is float32 in ATen's order. PyTorch's CPU kernels are compiled with floating-point contraction,
 * so {@code a*b + c} is often one fused multiply-add there; {@link Math#fma} is used where that was confirmed
 * against PyTorch output (see {@code src/test/python/gen_fixtures.py} and the fixtures test).
 */
public final class Resample {

    /** Keys cubic convolution coefficient used by PyTorch when antialias=False (OpenCV-compatible). */
    private static final float A = -0.75f;

    private Resample() {
    }

    /**
     * PyTorch {@code F.interpolate(mode='bilinear', align_corners=False, size=(outH,outW))}.
     *
     * <p>ATen picks one of two CPU kernels by output size, and they round differently, so both are reproduced:
     * for {@code outH + outW > 128} the generic kernel (interpolate along x, then y); otherwise the "channels-last"
     * kernel, which sums four products with weights {@code wy*wx}. Both are bit-exact against PyTorch 2.13 on x86
     * with fewer than 16 channels; with 16 or more channels and a small output PyTorch vectorizes over channels and
     * may differ in the last bit.
     *
     * @return a new {@code channels × outH × outW} array
     */
    public static float[] bilinear(float[] src, int channels, int inH, int inW, int outH, int outW) {
        checkShape(src, channels, inH, inW, outH, outW);
        LinearTaps ty = LinearTaps.of(inH, outH);
        LinearTaps tx = LinearTaps.of(inW, outW);
        boolean smallOutput = outH + outW <= 128;
        float[] dst = new float[channels * outH * outW];
        for (int c = 0; c < channels; c++) {
            int plane = c * inH * inW;
            int out = c * outH * outW;
            for (int oy = 0; oy < outH; oy++) {
                int row0 = plane + ty.i0[oy] * inW;
                int row1 = plane + ty.i1[oy] * inW;
                float wy0 = ty.w0[oy], wy1 = ty.w1[oy];
                for (int ox = 0; ox < outW; ox++) {
                    int x0 = tx.i0[ox], x1 = tx.i1[ox];
                    float wx0 = tx.w0[ox], wx1 = tx.w1[ox];
                    float v00 = src[row0 + x0], v01 = src[row0 + x1], v10 = src[row1 + x0], v11 = src[row1 + x1];
                    float v;
                    if (smallOutput) {
                        // out = v00*w00 + v01*w01 + v10*w10 + v11*w11, contracted left to right into FMAs.
                        v = Math.fma(v00, wy0 * wx0, v01 * (wy0 * wx1));
                        v = Math.fma(v10, wy1 * wx0, v);
                        v = Math.fma(v11, wy1 * wx1, v);
                    } else {
                        // t0*w0 + t1*w1 at each level, contracted as fma(t0, w0, t1*w1).
                        float top = Math.fma(v00, wx0, v01 * wx1);
                        float bottom = Math.fma(v10, wx0, v11 * wx1);
                        v = Math.fma(top, wy0, bottom * wy1);
                    }
                    dst[out + oy * outW + ox] = v;
                }
            }
        }
        return dst;
    }

    /**
     * PyTorch {@code F.interpolate(mode='bicubic', align_corners=False)} with an explicit coordinate scale per axis:
     * for a size-based call pass {@code (float) in / out}; for a scale_factor call pass
     * {@code (float) (1.0 / scale_factor)} (what {@code area_pixel_compute_scale} computes).
     *
     * <p>ATen's generic kernel: per output pixel, interpolate along x for each of the four source rows, then along y.
     * Indices and weights are bit-exact; the final sums agree with PyTorch 2.13 to a few ulps (its exact FMA
     * contraction of the sums could not be pinned down), far inside the 1e-4 tolerance used downstream.
     *
     * @return a new {@code channels × outH × outW} array
     */
    public static float[] bicubic(float[] src, int channels, int inH, int inW, int outH, int outW,
                                  float scaleH, float scaleW) {
        checkShape(src, channels, inH, inW, outH, outW);
        CubicTaps ty = CubicTaps.of(inH, outH, scaleH);
        CubicTaps tx = CubicTaps.of(inW, outW, scaleW);
        float[] dst = new float[channels * outH * outW];
        for (int c = 0; c < channels; c++) {
            int plane = c * inH * inW;
            int out = c * outH * outW;
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    float acc = 0f;
                    for (int j = 0; j < 4; j++) {
                        int row = plane + ty.index[4 * oy + j] * inW;
                        float alongX = src[row + tx.index[4 * ox]] * tx.weight[4 * ox];
                        for (int i = 1; i < 4; i++) {
                            alongX = Math.fma(src[row + tx.index[4 * ox + i]], tx.weight[4 * ox + i], alongX);
                        }
                        acc = j == 0 ? alongX * ty.weight[4 * oy] : Math.fma(alongX, ty.weight[4 * oy + j], acc);
                    }
                    dst[out + oy * outW + ox] = acc;
                }
            }
        }
        return dst;
    }

    /** Two taps and weights per output coordinate along one axis (ATen compute_source_index_and_lambda). */
    private record LinearTaps(int[] i0, int[] i1, float[] w0, float[] w1) {
        static LinearTaps of(int in, int out) {
            int[] i0 = new int[out], i1 = new int[out];
            float[] w0 = new float[out], w1 = new float[out];
            float scale = (float) in / out;
            for (int d = 0; d < out; d++) {
                if (in == out) {
                    // ATen special-cases equal sizes as a plain copy.
                    i0[d] = d;
                    i1[d] = d;
                    w0[d] = 1f;
                    w1[d] = 0f;
                    continue;
                }
                float real = sourceIndex(scale, d);
                if (real < 0f) {
                    real = 0f; // linear modes clamp the source coordinate at the left edge
                }
                int idx = Math.min((int) Math.floor(real), in - 1);
                float lambda = Math.min(Math.max(real - idx, 0f), 1f);
                i0[d] = idx;
                i1[d] = idx + (idx < in - 1 ? 1 : 0);
                w1[d] = lambda;
                w0[d] = 1f - lambda;
            }
            return new LinearTaps(i0, i1, w0, w1);
        }
    }

    /** Four clamped taps and Keys weights per output coordinate along one axis. */
    private record CubicTaps(int[] index, float[] weight) {
        static CubicTaps of(int in, int out, float scale) {
            int[] index = new int[4 * out];
            float[] weight = new float[4 * out];
            for (int d = 0; d < out; d++) {
                float real = sourceIndex(scale, d); // not clamped for cubic
                // ATen guard_index_and_lambda: keep the base index inside the image and t inside [0,1].
                int idx = Math.min((int) Math.floor(real), in - 1);
                float t = Math.min(Math.max(real - idx, 0f), 1f);
                float x2 = 1f - t;
                weight[4 * d] = cubic2(t + 1f);
                weight[4 * d + 1] = cubic1(t);
                weight[4 * d + 2] = cubic1(x2);
                weight[4 * d + 3] = cubic2(x2 + 1f);
                for (int j = 0; j < 4; j++) {
                    index[4 * d + j] = Math.max(Math.min(idx + j - 1, in - 1), 0);
                }
            }
            return new CubicTaps(index, weight);
        }

        /** Kernel for |x| <= 1. */
        private static float cubic1(float x) {
            return Math.fma(Math.fma(A + 2, x, -(A + 3)) * x, x, 1f);
        }

        /** Kernel for 1 < |x| < 2. */
        private static float cubic2(float x) {
            return Math.fma(Math.fma(Math.fma(A, x, -5 * A), x, 8 * A), x, -4 * A);
        }
    }

    /**
     * ATen's area_pixel_compute_source_index, {@code scale*(d+0.5)-0.5}. PyTorch's CPU kernels are compiled with FMA
     * contraction, so the multiply-subtract is rounded once; doing the same reproduces its coordinates bit for bit.
     */
    static float sourceIndex(float scale, int d) {
        return Math.fma(scale, d + 0.5f, -0.5f);
    }

    private static void checkShape(float[] src, int channels, int inH, int inW, int outH, int outW) {
        if (channels <= 0 || inH <= 0 || inW <= 0 || outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("Resample sizes must be positive: channels=" + channels
                    + " in=" + inH + "x" + inW + " out=" + outH + "x" + outW);
        }
        if (src.length != channels * inH * inW) {
            throw new IllegalArgumentException("Resample source has " + src.length + " values, expected "
                    + channels + "x" + inH + "x" + inW);
        }
    }
}
