package dev.clipengine.kernels;

/**
 * Exact ports of PyTorch's CPU {@code F.interpolate} (align_corners=False) for planar CHW float images.
 *
 * <p>Both follow ATen's generic "non-separable" CPU kernel ({@code upsample_generic_Nd_kernel_impl}): per output
 * pixel, interpolate along x for each source row tap, then combine those row values along y, all in float32 with
 * the same order of operations. (For bilinear, PyTorch switches to a channels-last vectorized kernel in some
 * configurations, e.g. single-threaded 3-channel input; that path multiplies the weights in a different order and
 * can differ from this one in the last bit.)
 */
public final class Resample {

    /** Keys cubic convolution coefficient used by PyTorch when antialias=False (OpenCV-compatible). */
    private static final float A = -0.75f;

    private Resample() {
    }

    /**
     * PyTorch {@code F.interpolate(mode='bilinear', align_corners=False, size=(outH,outW))}.
     *
     * @return a new {@code channels × outH × outW} array
     */
    public static float[] bilinear(float[] src, int channels, int inH, int inW, int outH, int outW) {
        checkShape(src, channels, inH, inW, outH, outW);
        LinearTaps ty = LinearTaps.of(inH, outH);
        LinearTaps tx = LinearTaps.of(inW, outW);
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
                    float top = src[row0 + x0] * wx0 + src[row0 + x1] * wx1;
                    float bottom = src[row1 + x0] * wx0 + src[row1 + x1] * wx1;
                    dst[out + oy * outW + ox] = top * wy0 + bottom * wy1;
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
                            alongX += src[row + tx.index[4 * ox + i]] * tx.weight[4 * ox + i];
                        }
                        // PyTorch starts with t*w and accumulates; 0 + x == x exactly, so starting at 0 is equivalent.
                        acc += alongX * ty.weight[4 * oy + j];
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
                float real = scale * (d + 0.5f) - 0.5f;
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
                float real = scale * (d + 0.5f) - 0.5f; // not clamped for cubic
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
            return ((A + 2) * x - (A + 3)) * x * x + 1;
        }

        /** Kernel for 1 < |x| < 2. */
        private static float cubic2(float x) {
            return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
        }
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
