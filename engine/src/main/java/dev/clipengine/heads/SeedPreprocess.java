package dev.clipengine.heads;

import dev.clipengine.image.RgbImage;
import dev.clipengine.segmentation.OpenCvResize;

/**
 * The repositories' test-time pre-processing (docs/seed-heads.md §2): OpenCV's fixed-point bilinear
 * resize of the uint8 image, then float32 normalisation after BGR→RGB exactly as {@code cv2.subtract} /
 * {@code cv2.multiply} compute it.
 */
final class SeedPreprocess {

    /** CLIP's statistics ×255: ReCLIP's {@code val_preprocess}. */
    static final float[] CLIP_MEAN = {122.771f, 116.746f, 104.094f}, CLIP_STD = {68.501f, 66.632f, 70.323f};
    /** ImageNet's statistics: ZegCLIP's and TagCLIP's mmseg {@code Normalize}, although their backbone is CLIP. */
    static final float[] IMAGENET_MEAN = {123.675f, 116.28f, 103.53f}, IMAGENET_STD = {58.395f, 57.12f, 57.375f};

    private SeedPreprocess() {
    }

    /** Width and height after a resize. */
    record Size(int width, int height) {
    }

    /** ReCLIP: {@code sf = min(cap / long side, shortSide / short side)}, sizes rounded half up. */
    static Size reclip(int w, int h, int shortSide, int cap) {
        double sf = Math.min((double) cap / Math.max(h, w), (double) shortSide / Math.min(h, w));
        return new Size((int) (w * sf + 0.5), (int) (h * sf + 0.5));
    }

    /** mmseg {@code Resize(keep_ratio=True, min_size=S)}: the short side becomes exactly S, with no cap. */
    static Size mmsegMinSize(int w, int h, int minSize) {
        double tLong, tShort;
        if (h > w) {
            tLong = (double) minSize * h / w;
        } else {
            tLong = (double) minSize * w / h;
        }
        tShort = minSize;
        double sf = Math.min(tLong / Math.max(h, w), tShort / Math.min(h, w));
        return new Size((int) (w * sf + 0.5), (int) (h * sf + 0.5));
    }

    /**
     * OpenCV's fixed-point bilinear resize (the per-channel filter does not care that the repositories hold BGR),
     * rounded as the model of their cv2 build in docs/seed-heads.md §2.
     */
    static RgbImage resize(RgbImage img, Size s) {
        byte[] out = OpenCvResize.linearVectorRounding(img.rgb(), img.width(), img.height(), 3, s.width(), s.height());
        return new RgbImage(s.width(), s.height(), out);
    }

    /**
     * Planar RGB {@code [3, padH, padW]}: {@code (float)(x − mean)} then times {@code 1/std} in double, as OpenCV; the
     * bottom/right padding stays 0 (the mean colour after normalisation, as ReCLIP pads).
     */
    static float[] normalise(RgbImage img, float[] mean, float[] std, int padH, int padW) {
        int w = img.width(), h = img.height();
        float[] out = new float[3 * padH * padW];
        byte[] rgb = img.rgb();
        for (int c = 0; c < 3; c++) {
            float m = mean[c];
            double inv = 1.0 / (double) std[c];
            int plane = c * padH * padW;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float d = (rgb[(y * w + x) * 3 + c] & 0xff) - m;
                    out[plane + y * padW + x] = (float) (d * inv);
                }
            }
        }
        return out;
    }
}
