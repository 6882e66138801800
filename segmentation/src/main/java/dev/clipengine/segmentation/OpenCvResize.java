package dev.clipengine.segmentation;

/**
 * Port of OpenCV's {@code cv2.resize(img, (w, h), interpolation=INTER_LINEAR)} for 8-bit interleaved images
 * (docs/training-free-methods.md App. B), the resize behind mmcv's {@code imrescale}.
 *
 * <p>What OpenCV does, and therefore this class: source coordinates {@code (d+0.5)·scale-0.5} in double rounded
 * to float, with {@code scale = 1/(dst/src)}; 11-bit fixed-point weights rounded half to even; an exact integer
 * horizontal pass; a vertical pass whose result depends on the code path. OpenCV's vector lanes compute
 * {@code ((((D0>>4)·β0)>>16) + (((D1>>4)·β1)>>16) + 2) >> 2} and its scalar tail
 * {@code (D0·β0 + D1·β1 + 2^21) >> 22}; the two can differ by one. The split between them follows the 128-bit
 * (SSE/NEON) build of the x86-64 opencv-python wheels, whose resize code is compiled for that baseline: lanes
 * of 16 bytes while a full vector fits, then of 8, then the scalar formula for the last few values of a row.
 * An exact 2× shrink on both axes becomes OpenCV's INTER_AREA fast path (2×2 mean).
 */
public final class OpenCvResize {

    private static final int COEF_BITS = 11;
    private static final int COEF_SCALE = 1 << COEF_BITS;
    /** {@code v_uint8} and {@code v_int16} lane counts of a 128-bit build. */
    private static final int U8_LANES = 16, S16_LANES = 8;

    private OpenCvResize() {
    }

    /**
     * Resizes an interleaved {@code srcH × srcW × channels} byte image to {@code dstW × dstH}.
     *
     * @return a new interleaved {@code dstH × dstW × channels} array
     */
    public static byte[] linear(byte[] src, int srcW, int srcH, int channels, int dstW, int dstH) {
        if (srcW <= 0 || srcH <= 0 || dstW <= 0 || dstH <= 0 || channels <= 0) {
            throw new IllegalArgumentException("resize sizes must be positive: " + srcW + "x" + srcH + " -> " + dstW + "x" + dstH);
        }
        if (src.length != (long) srcW * srcH * channels) {
            throw new IllegalArgumentException("image has " + src.length + " bytes, expected " + srcW + "x" + srcH + "x" + channels);
        }
        if (srcW == dstW && srcH == dstH) return src.clone();   // cv::resize copies equal sizes
        double invScaleX = (double) dstW / srcW, invScaleY = (double) dstH / srcH;
        double scaleX = 1.0 / invScaleX, scaleY = 1.0 / invScaleY;
        int iscaleX = (int) Math.rint(scaleX), iscaleY = (int) Math.rint(scaleY);
        boolean areaFast = Math.abs(scaleX - iscaleX) < Math.ulp(1.0) && Math.abs(scaleY - iscaleY) < Math.ulp(1.0);
        if (areaFast && iscaleX == 2 && iscaleY == 2) return areaHalf(src, srcW, channels, dstW, dstH);
        return generic(src, srcW, srcH, channels, dstW, dstH, scaleX, scaleY);
    }

    /**
     * {@link #linear}, except that every byte of a row is rounded as OpenCV's vertical SIMD pass rounds (no scalar
     * tail): the fixed-point model that docs/seed-heads.md §2 gives for the cv2 build the seed-head repositories ran,
     * which differs from {@link #linear} by one level in the last bytes of rows whose length is not a whole number of
     * vector lanes. No INTER_AREA shortcut is taken for exact halvings (the two agree there).
     */
    public static byte[] linearVectorRounding(byte[] src, int srcW, int srcH, int channels, int dstW, int dstH) {
        if (srcW <= 0 || srcH <= 0 || dstW <= 0 || dstH <= 0 || channels <= 0) {
            throw new IllegalArgumentException("resize sizes must be positive: " + srcW + "x" + srcH + " -> " + dstW + "x" + dstH);
        }
        if (src.length != (long) srcW * srcH * channels) {
            throw new IllegalArgumentException("image has " + src.length + " bytes, expected " + srcW + "x" + srcH + "x" + channels);
        }
        if (srcW == dstW && srcH == dstH) return src.clone();
        double scaleX = 1.0 / ((double) dstW / srcW), scaleY = 1.0 / ((double) dstH / srcH);
        return generic(src, srcW, srcH, channels, dstW, dstH, scaleX, scaleY, true);
    }

    private static byte[] generic(byte[] src, int srcW, int srcH, int cn, int dstW, int dstH, double scaleX, double scaleY) {
        return generic(src, srcW, srcH, cn, dstW, dstH, scaleX, scaleY, false);
    }

    private static byte[] generic(byte[] src, int srcW, int srcH, int cn, int dstW, int dstH, double scaleX, double scaleY,
                                  boolean vectorEverywhere) {
        int width = dstW * cn;
        int[] xofs = new int[width];
        int[] alpha = new int[2 * dstW];
        int xmax = dstW;
        for (int dx = 0; dx < dstW; dx++) {
            float fx = (float) ((dx + 0.5) * scaleX - 0.5);
            int sx = (int) Math.floor(fx);
            fx -= sx;
            if (sx < 0) {
                fx = 0;
                sx = 0;
            }
            if (sx + 1 >= srcW) {
                xmax = Math.min(xmax, dx);
                if (sx >= srcW - 1) {
                    fx = 0;
                    sx = srcW - 1;
                }
            }
            for (int k = 0; k < cn; k++) xofs[dx * cn + k] = sx * cn + k;
            alpha[2 * dx] = cvRound((1f - fx) * COEF_SCALE);
            alpha[2 * dx + 1] = cvRound(fx * COEF_SCALE);
        }
        int[] rowOf = new int[2 * dstH];
        int[] beta = new int[2 * dstH];
        for (int dy = 0; dy < dstH; dy++) {
            float fy = (float) ((dy + 0.5) * scaleY - 0.5);
            int sy = (int) Math.floor(fy);
            fy -= sy;
            // rows are clamped when fetched, but the weights are kept (unlike the columns)
            rowOf[2 * dy] = Math.clamp(sy, 0, srcH - 1);
            rowOf[2 * dy + 1] = Math.clamp(sy + 1, 0, srcH - 1);
            beta[2 * dy] = cvRound((1f - fy) * COEF_SCALE);
            beta[2 * dy + 1] = cvRound(fy * COEF_SCALE);
        }
        byte[] dst = new byte[dstH * width];
        int[] d0 = new int[width], d1 = new int[width];
        int cached0 = -1, cached1 = -1;
        int xmaxElems = xmax * cn;
        for (int dy = 0; dy < dstH; dy++) {
            int r0 = rowOf[2 * dy], r1 = rowOf[2 * dy + 1];
            if (r0 != cached0) {
                if (r0 == cached1) {
                    int[] t = d0;
                    d0 = d1;
                    d1 = t;
                    cached1 = -1;
                } else {
                    horizontal(src, r0 * srcW * cn, xofs, alpha, cn, xmaxElems, d0);
                }
                cached0 = r0;
            }
            if (r1 != cached1) {
                if (r1 == r0) System.arraycopy(d0, 0, d1, 0, width);
                else horizontal(src, r1 * srcW * cn, xofs, alpha, cn, xmaxElems, d1);
                cached1 = r1;
            }
            if (vectorEverywhere) {
                for (int i = 0; i < width; i++) dst[dy * width + i] = vectorLane(d0[i], d1[i], beta[2 * dy], beta[2 * dy + 1]);
            } else {
                vertical(d0, d1, beta[2 * dy], beta[2 * dy + 1], dst, dy * width, width);
            }
        }
        return dst;
    }

    /** OpenCV's HResizeLinear: exact integer sums (vector and scalar paths agree). */
    private static void horizontal(byte[] src, int rowOff, int[] xofs, int[] alpha, int cn, int xmaxElems, int[] out) {
        for (int e = 0; e < out.length; e++) {
            int sx = rowOff + xofs[e];
            int a = 2 * (e / cn);
            out[e] = e < xmaxElems
                    ? (src[sx] & 0xff) * alpha[a] + (src[sx + cn] & 0xff) * alpha[a + 1]
                    : (src[sx] & 0xff) * COEF_SCALE;
        }
    }

    /** OpenCV's VResizeLinear with VResizeLinearVec_32s8u: vector formula on full lanes, scalar on the tail. */
    private static void vertical(int[] d0, int[] d1, int b0, int b1, byte[] dst, int off, int width) {
        int x = 0;
        for (; x <= width - U8_LANES; x += U8_LANES) {
            for (int i = x; i < x + U8_LANES; i++) dst[off + i] = vectorLane(d0[i], d1[i], b0, b1);
        }
        for (; x < width - S16_LANES; x += S16_LANES) {
            for (int i = x; i < x + S16_LANES; i++) dst[off + i] = vectorLane(d0[i], d1[i], b0, b1);
        }
        for (; x < width; x++) {
            dst[off + x] = saturateU8((d0[x] * b0 + d1[x] * b1 + (1 << (2 * COEF_BITS - 1))) >> (2 * COEF_BITS));
        }
    }

    /** {@code v_rshr_pack_u<2>(v_mul_hi(pack(D0>>4), β0) + v_mul_hi(pack(D1>>4), β1))}, int16 lanes. */
    private static byte vectorLane(int d0, int d1, int b0, int b1) {
        int s0 = saturateS16(d0 >> 4), s1 = saturateS16(d1 >> 4);
        int sum = (short) (((s0 * (short) b0) >> 16) + ((s1 * (short) b1) >> 16));
        return saturateU8((sum + 2) >> 2);
    }

    /**
     * OpenCV's INTER_AREA fast path for an exact 2× shrink: the vector code rounds {@code (sum + 2) >> 2} on blocks
     * (16 values for 1 channel, 16 pixels for 3, 16 bytes for 4 in a 128-bit build); the rest of a row goes through
     * {@code saturate_cast<uchar>(sum * 0.25f)}, which rounds half to even.
     */
    private static byte[] areaHalf(byte[] src, int srcW, int cn, int dstW, int dstH) {
        int w = dstW * cn, srcRow = srcW * cn;
        int block = cn == 1 ? S16_LANES : cn == 3 ? 3 * U8_LANES : cn == 4 ? U8_LANES : 0;
        byte[] dst = new byte[dstH * w];
        for (int dy = 0; dy < dstH; dy++) {
            int s0 = 2 * dy * srcRow, s1 = s0 + srcRow, out = dy * w;
            int vectorEnd = block == 0 ? 0 : (w / block) * block;
            for (int e = 0; e < w; e++) {
                int px = e / cn, c = e % cn;
                int a = 2 * px * cn + c;
                int sum = (src[s0 + a] & 0xff) + (src[s0 + a + cn] & 0xff) + (src[s1 + a] & 0xff) + (src[s1 + a + cn] & 0xff);
                dst[out + e] = (byte) (e < vectorEnd ? (sum + 2) >> 2 : cvRound(sum * 0.25f));
            }
        }
        return dst;
    }

    /** OpenCV's cvRound on x86: round half to even. */
    private static int cvRound(float v) {
        return (int) Math.rint(v);
    }

    private static int saturateS16(int v) {
        return Math.clamp(v, Short.MIN_VALUE, Short.MAX_VALUE);
    }

    private static byte saturateU8(int v) {
        return (byte) Math.clamp(v, 0, 255);
    }
}
