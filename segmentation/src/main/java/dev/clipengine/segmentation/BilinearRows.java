package dev.clipengine.segmentation;

/**
 * PyTorch's {@code F.interpolate(mode='bilinear', align_corners=False)} one output row at a time, so a many-channel
 * map can be upsampled to a large image without holding the whole result. Bit-identical to
 * {@code dev.clipengine.kernels.Resample.bilinear} (same taps, same kernel choice by output size, same FMA
 * contraction); {@code BilinearRowsTest} checks it against that class.
 */
public final class BilinearRows {

    private final int inH, inW, outH, outW;
    private final int[] y0, y1, x0, x1;
    private final float[] wy0, wy1, wx0, wx1;
    private final boolean smallOutput;

    public BilinearRows(int inH, int inW, int outH, int outW) {
        if (inH <= 0 || inW <= 0 || outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("bilinear sizes must be positive: " + inH + "x" + inW + " -> " + outH + "x" + outW);
        }
        this.inH = inH;
        this.inW = inW;
        this.outH = outH;
        this.outW = outW;
        y0 = new int[outH];
        y1 = new int[outH];
        wy0 = new float[outH];
        wy1 = new float[outH];
        taps(inH, outH, y0, y1, wy0, wy1);
        x0 = new int[outW];
        x1 = new int[outW];
        wx0 = new float[outW];
        wx1 = new float[outW];
        taps(inW, outW, x0, x1, wx0, wx1);
        // ATen's CPU kernel choice; the two round differently (see Resample.bilinear)
        smallOutput = outH + outW <= 128;
    }

    public int outHeight() {
        return outH;
    }

    public int outWidth() {
        return outW;
    }

    /**
     * Output row {@code oy} of every channel of a planar {@code channels × inH × inW} map, written to
     * {@code out[c·outW + ox]}.
     */
    public void row(float[] src, int channels, int oy, float[] out) {
        row(src, channels, 0, channels, oy, out);
    }

    /**
     * Output row {@code oy} of channels {@code [from, to)} only, written to {@code out[(c − from)·outW + ox]}: a
     * caller that reduces over channels (an argmax) bounds its buffer by a chunk of channels, not all of them.
     */
    public void row(float[] src, int channels, int from, int to, int oy, float[] out) {
        if (src.length != (long) channels * inH * inW) {
            throw new IllegalArgumentException("map has " + src.length + " values, expected " + channels + "x" + inH + "x" + inW);
        }
        if (from < 0 || to > channels || from > to) throw new IllegalArgumentException("channels [" + from + ", " + to + ") of " + channels);
        int plane = inH * inW;
        float a0 = wy0[oy], a1 = wy1[oy];
        for (int c = from; c < to; c++) {
            int r0 = c * plane + y0[oy] * inW, r1 = c * plane + y1[oy] * inW, o = (c - from) * outW;
            for (int ox = 0; ox < outW; ox++) {
                int c0 = x0[ox], c1 = x1[ox];
                float b0 = wx0[ox], b1 = wx1[ox];
                float v00 = src[r0 + c0], v01 = src[r0 + c1], v10 = src[r1 + c0], v11 = src[r1 + c1];
                float v;
                if (smallOutput) {
                    v = Math.fma(v00, a0 * b0, v01 * (a0 * b1));
                    v = Math.fma(v10, a1 * b0, v);
                    v = Math.fma(v11, a1 * b1, v);
                } else {
                    float top = Math.fma(v00, b0, v01 * b1);
                    float bottom = Math.fma(v10, b0, v11 * b1);
                    v = Math.fma(top, a0, bottom * a1);
                }
                out[o + ox] = v;
            }
        }
    }

    /**
     * A reader of successive output rows of one map that interpolates each source row horizontally once: with the
     * generic kernel an output value is {@code fma(top, a0, bottom·a1)} where {@code top} and {@code bottom} are the
     * horizontal interpolations of source rows {@code y0} and {@code y1}, and an up-sampling by 20× or more reuses
     * them for 20 output rows or more. Holds two horizontal rows of every channel ({@code 2 × channels × outW}
     * floats); the values are those of {@link #row}, bit for bit. Not thread-safe: one per thread.
     */
    public Cursor cursor(float[] src, int channels) {
        return new Cursor(src, channels);
    }

    /** See {@link #cursor}. */
    public final class Cursor {
        private final float[] src;
        private final int channels;
        private float[] top, bottom;
        private int topRow = -1, bottomRow = -1;

        private Cursor(float[] src, int channels) {
            if (src.length != (long) channels * inH * inW) {
                throw new IllegalArgumentException("map has " + src.length + " values, expected " + channels + "x" + inH + "x" + inW);
            }
            this.src = src;
            this.channels = channels;
            if (!smallOutput) {
                top = new float[Math.multiplyExact(channels, outW)];
                bottom = new float[top.length];
            }
        }

        /** As {@link BilinearRows#row(float[], int, int, int, int, float[])} on this cursor's map. */
        public void row(int from, int to, int oy, float[] out) {
            if (smallOutput) {
                BilinearRows.this.row(src, channels, from, to, oy, out);
                return;
            }
            if (from < 0 || to > channels || from > to) throw new IllegalArgumentException("channels [" + from + ", " + to + ") of " + channels);
            prepare(oy);
            float a0 = wy0[oy], a1 = wy1[oy];
            for (int c = from; c < to; c++) {
                int h = c * outW, o = (c - from) * outW;
                for (int ox = 0; ox < outW; ox++) out[o + ox] = Math.fma(top[h + ox], a0, bottom[h + ox] * a1);
            }
        }

        /**
         * For a caller that reduces over channels as it goes (an argmax), without writing the row out: makes
         * {@link #top} and {@link #bottom} the horizontal rows output row {@code oy} reads, whose value at channel
         * {@code c}, column {@code x} is {@code fma(top[c·outW + x], weightTop(oy), bottom[c·outW + x] · weightBottom(oy))}.
         * False with ATen's small-output kernel, which rounds differently: use {@link #row} then.
         */
        public boolean prepare(int oy) {
            if (smallOutput) return false;
            int r0 = y0[oy], r1 = y1[oy];
            if (r0 != topRow) {
                if (r0 == bottomRow) {
                    float[] t = top;
                    top = bottom;
                    bottom = t;
                    bottomRow = -1;
                } else {
                    horizontal(r0, top);
                }
                topRow = r0;
            }
            if (r1 != bottomRow) {
                if (r1 == r0) System.arraycopy(top, 0, bottom, 0, top.length);
                else horizontal(r1, bottom);
                bottomRow = r1;
            }
            return true;
        }

        /** Source row {@code y0[oy]} of every channel interpolated along x (after {@link #prepare}). */
        public float[] top() {
            return top;
        }

        /** Source row {@code y1[oy]} likewise. */
        public float[] bottom() {
            return bottom;
        }

        public float weightTop(int oy) {
            return wy0[oy];
        }

        public float weightBottom(int oy) {
            return wy1[oy];
        }

        /** Source row {@code r} of every channel interpolated along x: {@code fma(v0, b0, v1·b1)}. */
        private void horizontal(int r, float[] dst) {
            int plane = inH * inW;
            for (int c = 0; c < channels; c++) {
                int row = c * plane + r * inW, o = c * outW;
                for (int ox = 0; ox < outW; ox++) dst[o + ox] = Math.fma(src[row + x0[ox]], wx0[ox], src[row + x1[ox]] * wx1[ox]);
            }
        }
    }

    /** The whole planar {@code channels × outH × outW} result. */
    public float[] all(float[] src, int channels) {
        float[] dst = new float[channels * outH * outW];
        float[] row = new float[channels * outW];
        for (int oy = 0; oy < outH; oy++) {
            row(src, channels, oy, row);
            for (int c = 0; c < channels; c++) System.arraycopy(row, c * outW, dst, (c * outH + oy) * outW, outW);
        }
        return dst;
    }

    /** ATen's compute_source_index_and_lambda for one axis (align_corners=False, no scale_factor). */
    private static void taps(int in, int out, int[] i0, int[] i1, float[] w0, float[] w1) {
        float scale = (float) in / out;
        for (int d = 0; d < out; d++) {
            if (in == out) {
                i0[d] = d;
                i1[d] = d;
                w0[d] = 1f;
                continue;
            }
            float real = Math.fma(scale, d + 0.5f, -0.5f);
            if (real < 0f) real = 0f;
            int idx = Math.min((int) Math.floor(real), in - 1);
            float lambda = Math.min(Math.max(real - idx, 0f), 1f);
            i0[d] = idx;
            i1[d] = idx + (idx < in - 1 ? 1 : 0);
            w1[d] = lambda;
            w0[d] = 1f - lambda;
        }
    }
}
