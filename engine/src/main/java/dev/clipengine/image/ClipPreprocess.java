package dev.clipengine.image;

/**
 * CLIP image preprocessing as the reference does it on a PIL image (docs/cliptrase.md §1.2): torchvision
 * {@code Resize(n, BICUBIC)} (Pillow's resampler, reproduced bit-exactly), {@code CenterCrop(n)},
 * {@code ToTensor()}, {@code Normalize(mean, std)}.
 */
public final class ClipPreprocess {
    private ClipPreprocess() {}

    private static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

    /** CLIP's mean of channel {@code c} (0 = R: 0.48145466, 1 = G: 0.4578275, 2 = B: 0.40821073). */
    public static float mean(int c) {
        return MEAN[c];
    }

    /** CLIP's standard deviation of channel {@code c} (0.26862954, 0.26130258, 0.27577711). */
    public static float std(int c) {
        return STD[c];
    }

    /** Pillow's {@code PRECISION_BITS} for 8-bit resampling: 32 - 8 - 2. */
    private static final int PRECISION_BITS = 22;

    /** {@code normalize(centerCrop(resizeShortSide(img, size), size))}: CHW float32, {@code 3*size*size}. */
    public static float[] clipPixels(RgbImage img, int size) {
        return normalize(resizeShortSideCenterCrop(img, size));
    }

    /**
     * {@code centerCrop(resizeShortSide(img, size), size)}, pixel for pixel, computing only the
     * {@code size x size} window the crop keeps. The resized image itself can be enormous: a 1x100000
     * image at 336 resizes to 336x33600000 (34 GB, past any array); each output pixel of a separable
     * resize depends only on its own row's and column's coefficients, so the window is computed alone,
     * in memory and time proportional to {@code size²} plus the source rows it reads.
     */
    public static RgbImage resizeShortSideCenterCrop(RgbImage src, int size) {
        if (size <= 0) throw new IllegalArgumentException("size must be positive, got " + size);
        int w = src.width(), h = src.height();
        long[] resized = shortSideResized(w, h, size);
        long newW = resized[0], newH = resized[1];
        if (newW > Integer.MAX_VALUE || newH > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("image of " + w + "x" + h + " is too thin to resize to " + size
                    + " on its short side (" + newW + "x" + newH + ")");
        }
        if (newW < size || newH < size) return centerCrop(resizeShortSide(src, size), size); // pads: small anyway
        int top = (int) Math.rint((newH - size) / 2.0);
        int left = (int) Math.rint((newW - size) / 2.0);
        return resizeBicubicWindow(src, (int) newW, (int) newH, left, top, size, size);
    }

    /**
     * {@code {width, height}} of a {@code w × h} image after torchvision's {@code Resize(size)}: the shorter side
     * becomes {@code size}, the other {@code int(size * long / short)} (float division, truncation); in longs, so that
     * a very thin image reports its size instead of overflowing.
     */
    public static long[] shortSideResized(int w, int h, int size) {
        return w <= h
                ? new long[] {size, (long) ((double) ((long) size * h) / w)}
                : new long[] {(long) ((double) ((long) size * w) / h), size};
    }

    /**
     * torchvision {@code Resize(size)} with an int: the shorter side becomes {@code size}, the other
     * {@code int(size * long / short)} (float division, truncation); unchanged size → the same pixels.
     * Resampling is Pillow BICUBIC ({@link #resizeBicubic}).
     */
    public static RgbImage resizeShortSide(RgbImage src, int size) {
        if (size <= 0) throw new IllegalArgumentException("size must be positive, got " + size);
        int w = src.width(), h = src.height();
        int newW, newH;
        if (w <= h) {
            newW = size;
            newH = (int) ((double) ((long) size * h) / w);
        } else {
            newH = size;
            newW = (int) ((double) ((long) size * w) / h);
        }
        if (newW == w && newH == h) return src;
        return resizeBicubic(src, newW, newH);
    }

    /**
     * torchvision {@code CenterCrop(size)}: zero-pads first where the image is smaller than
     * {@code size} (left/top {@code (size - n) // 2}, right/bottom the rest), then crops at
     * {@code top = round((H - size) / 2)}, {@code left = round((W - size) / 2)} with Python's
     * round-half-to-even.
     */
    public static RgbImage centerCrop(RgbImage src, int size) {
        if (size <= 0) throw new IllegalArgumentException("size must be positive, got " + size);
        RgbImage img = src;
        if (size > img.width() || size > img.height()) {
            int padL = size > img.width() ? (size - img.width()) / 2 : 0;
            int padT = size > img.height() ? (size - img.height()) / 2 : 0;
            int newW = Math.max(size, img.width()), newH = Math.max(size, img.height());
            img = paste(img, newW, newH, padL, padT);
            if (newW == size && newH == size) return img;
        }
        int top = (int) Math.rint((img.height() - size) / 2.0);
        int left = (int) Math.rint((img.width() - size) / 2.0);
        if (top == 0 && left == 0 && img.width() == size && img.height() == size) return img;
        byte[] out = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            System.arraycopy(img.rgb(), ((top + y) * img.width() + left) * 3, out, y * size * 3, size * 3);
        }
        return new RgbImage(size, size, out);
    }

    /** {@code src} placed at {@code (left, top)} on a black {@code w x h} canvas. */
    private static RgbImage paste(RgbImage src, int w, int h, int left, int top) {
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < src.height(); y++) {
            System.arraycopy(src.rgb(), y * src.width() * 3, out, ((top + y) * w + left) * 3, src.width() * 3);
        }
        return new RgbImage(w, h, out);
    }

    /**
     * torchvision {@code ToTensor} + {@code Normalize(MEAN, STD)} in float32:
     * {@code (v / 255f - mean[c]) / std[c]}, laid out CHW.
     */
    public static float[] normalize(RgbImage img) {
        int n = img.width() * img.height();
        byte[] rgb = img.rgb();
        float[] out = new float[3 * n];
        for (int c = 0; c < 3; c++) {
            float mean = MEAN[c], std = STD[c];
            int base = c * n;
            for (int i = 0; i < n; i++) {
                float v = (rgb[i * 3 + c] & 0xff) / 255f;
                out[base + i] = (v - mean) / std;
            }
        }
        return out;
    }

    /**
     * Pillow's {@code Image.resize((outW, outH), BICUBIC)} on an RGB image, bit-exact with
     * {@code libImaging/Resample.c}: separable, horizontal pass first into a uint8 image holding only
     * the source rows the vertical pass reads, then the vertical pass; a pass is skipped when its
     * dimension is unchanged; Keys cubic (a = -0.5) with support {@code 2 * max(scale, 1)},
     * coefficients normalised in double then converted to 22-bit fixed point (round half away from
     * zero), accumulator starting at {@code 1 << 21}, arithmetic shift, clamp to 0..255.
     */
    public static RgbImage resizeBicubic(RgbImage src, int outW, int outH) {
        if (outW <= 0 || outH <= 0) throw new IllegalArgumentException("output size must be positive: " + outW + "x" + outH);
        int inW = src.width(), inH = src.height();
        if (inW == outW && inH == outH) return new RgbImage(inW, inH, src.rgb().clone());
        return resizeBicubicWindow(src, outW, outH, 0, 0, outW, outH);
    }

    /**
     * The {@code winW x winH} window at {@code (x0, y0)} of {@code resizeBicubic(src, outW, outH)}, bit for
     * bit, without computing the rest (coefficients are made for the window's rows and columns only).
     */
    public static RgbImage resizeBicubicWindow(RgbImage src, int outW, int outH, int x0, int y0, int winW, int winH) {
        int inW = src.width(), inH = src.height();
        if (Math.multiplyExact(Math.multiplyExact((long) winW, winH), 3L) > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("resized image of " + winW + "x" + winH + " is too large");
        }
        // a pass whose dimension is unchanged is skipped (Pillow does the same): it only selects
        Coeffs vert = outH == inH ? null : Coeffs.of(inH, outH, y0, winH);
        int first = vert == null ? y0 : vert.bounds[0];
        int last = vert == null ? y0 + winH : vert.bounds[(winH - 1) * 2] + vert.bounds[(winH - 1) * 2 + 1];
        for (int i = 0; vert != null && i < winH; i++) first = Math.min(first, vert.bounds[i * 2]);
        byte[] cur = outW == inW ? columns(src.rgb(), inW, first, last - first, x0, winW)
                : horizontal(src.rgb(), inW, first, last - first, Coeffs.of(inW, outW, x0, winW), winW);
        if (vert != null) cur = vertical(cur, winW, first, vert, winH);
        return new RgbImage(winW, winH, cur);
    }

    /** Rows {@code [firstRow, +rows)}, columns {@code [x0, +w)} of an RGB image {@code inW} wide. */
    private static byte[] columns(byte[] in, int inW, int firstRow, int rows, int x0, int w) {
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(rows, w), 3)];
        for (int y = 0; y < rows; y++) {
            System.arraycopy(in, ((firstRow + y) * inW + x0) * 3, out, y * w * 3, w * 3);
        }
        return out;
    }

    private static byte[] horizontal(byte[] in, int inW, int firstRow, int rows, Coeffs c, int outW) {
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(rows, outW), 3)];
        int[] k = c.fixed;
        for (int yy = 0; yy < rows; yy++) {
            long rowBase0 = ((long) (yy + firstRow) * inW) * 3;
            int rowBase = Math.toIntExact(rowBase0);
            int outBase = yy * outW * 3;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = c.bounds[xx * 2], xcount = c.bounds[xx * 2 + 1], kb = xx * c.ksize;
                int s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
                int p = rowBase + xmin * 3;
                for (int x = 0; x < xcount; x++, p += 3) {
                    int w = k[kb + x];
                    s0 += (in[p] & 0xff) * w;
                    s1 += (in[p + 1] & 0xff) * w;
                    s2 += (in[p + 2] & 0xff) * w;
                }
                out[outBase + xx * 3] = clip8(s0);
                out[outBase + xx * 3 + 1] = clip8(s1);
                out[outBase + xx * 3 + 2] = clip8(s2);
            }
        }
        return out;
    }

    private static byte[] vertical(byte[] in, int w, int rowOffset, Coeffs c, int outH) {
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(outH, w), 3)];
        int[] k = c.fixed;
        int stride = w * 3;
        for (int yy = 0; yy < outH; yy++) {
            int ymin = c.bounds[yy * 2] - rowOffset, ycount = c.bounds[yy * 2 + 1], kb = yy * c.ksize;
            int outBase = yy * stride;
            for (int i = 0; i < stride; i++) {
                int s = 1 << (PRECISION_BITS - 1);
                int p = ymin * stride + i;
                for (int y = 0; y < ycount; y++, p += stride) s += (in[p] & 0xff) * k[kb + y];
                out[outBase + i] = clip8(s);
            }
        }
        return out;
    }

    private static byte clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    private static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /**
     * Pillow's {@code precompute_coeffs} + {@code normalize_coeffs_8bpc} for box {@code (0, inSize)}, for
     * the output positions {@code [from, from + count)} only (entry {@code i} is position {@code from + i}).
     */
    private record Coeffs(int ksize, int[] bounds, int[] fixed) {
        static Coeffs of(int inSize, int outSize, int from, int count) {
            float in0 = 0f, in1 = inSize;
            double scale = (double) (in1 - in0) / outSize;
            double filterscale = Math.max(scale, 1.0);
            double support = 2.0 * filterscale; // BICUBIC support 2
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] bounds = new int[count * 2];
            int[] fixed = new int[Math.multiplyExact(count, ksize)];
            double[] k = new double[ksize];
            for (int i = 0; i < count; i++) {
                int xx = from + i;
                double center = in0 + (xx + 0.5) * scale;
                double ww = 0.0;
                double ss = 1.0 / filterscale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) xmin = 0;
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) xmax = inSize;
                xmax -= xmin;
                for (int x = 0; x < xmax; x++) {
                    double w = bicubic((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    if (ww != 0.0) k[x] /= ww;
                }
                for (int x = 0; x < ksize; x++) {
                    double v = x < xmax ? k[x] : 0.0;
                    fixed[i * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                            : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                bounds[i * 2] = xmin;
                bounds[i * 2 + 1] = xmax;
            }
            return new Coeffs(ksize, bounds, fixed);
        }
    }
}
