package dev.clipengine.segment;

import dev.clipengine.image.RgbImage;
import dev.clipengine.kernels.Resample;
import dev.clipengine.midlayer.MidLayerBlocks;
import dev.clipengine.midlayer.ScClipEncoder;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.VisionOutput;
import dev.clipengine.segmentation.OpenCvResize;
import dev.clipengine.segmentation.SlideGeometry;
import dev.clipengine.segmentation.SlideGeometry.Window;
import dev.clipengine.segmentation.SlidePostprocess;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The slide-protocol runner of the training-free methods (docs/training-free-methods.md §3, §4): the protocol is
 * {@link SlideOptions}; the method is its {@link DenseFeatures} strategy (for the six methods of the spec only the ViT's
 * last block, {@link Method#lastBlock}), given to the constructor, so a new method plugs in without a copy of the
 * protocol (docs/pipeline.md).
 *
 * <p>Stateless apart from the model and options: safe to use from several threads on one loaded model.
 */
public final class SlideSegmenter {

    /** mmseg's data preprocessor constants: CLIP's mean/std ×255, rounded to 3 decimals (§3.2), R, G, B. */
    private static final float[] MEAN = {122.771f, 116.746f, 104.094f};
    private static final float[] STD = {68.501f, 66.632f, 70.323f};
    /** Tokens the attention of one window may hold (64×64 patches): beyond it a whole-image run needs windows. */
    static final int MAX_TOKENS = 4096;

    private final ClipModel model;
    private final SlideOptions options;
    private final DenseFeatures dense;
    private final int patch;

    public SlideSegmenter(ClipModel model, SlideOptions options) {
        this(model, options, options.denseFeatures());
    }

    /** The protocol of {@code options} around another method's dense features. */
    public SlideSegmenter(ClipModel model, SlideOptions options, DenseFeatures dense) {
        this.model = model;
        this.options = options;
        this.dense = dense;
        this.patch = model.config().patchSize();
        // the mid-layer methods check the tower's depth here, before any image is read
        if (options.method().midLayer()) MidLayerBlocks.forDepth(model.vision().layers(), options.method().cliName());
        int windowPatches = (options.crop() / patch) * (options.crop() / patch);
        if (options.method() == Method.SCCLIP && options.crop() >= patch && windowPatches < ScClipEncoder.MIN_PATCHES) {
            // refused before any text feature or image is computed; whole-image runs are checked per image
            throw new IllegalArgumentException("scclip needs at least " + ScClipEncoder.MIN_PATCHES + " patches per window, --crop "
                    + options.crop() + " gives " + windowPatches + "; use a larger --crop");
        }
        if (options.crop() > 0 && options.crop() < patch) {
            throw new IllegalArgumentException("--crop " + options.crop() + " is smaller than the patch size " + patch);
        }
    }

    public SlideOptions options() {
        return options;
    }

    /** One query feature per name (prompt-ensembled, cached per model and vocabulary). */
    public float[][] textFeatures(Vocabulary vocabulary) {
        return TextFeatures.of(model, vocabulary, options.templates());
    }

    /** The result of one image. */
    public record Result(Vocabulary vocabulary, int width, int height, int[] labels, int resizedWidth, int resizedHeight,
                         int windows, Map<String, Double> timingsMs) {
    }

    public Result segment(RgbImage original, Vocabulary vocabulary) {
        return segment(original, vocabulary, null);
    }

    /** As {@link #segment(RgbImage, Vocabulary)} with the text features given ({@link #textFeatures}; null: computed). */
    public Result segment(RgbImage original, Vocabulary vocabulary, float[][] textFeatures) {
        Map<String, Double> timings = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        float[][] text = textFeatures != null ? checkedText(textFeatures, vocabulary) : textFeatures(vocabulary);
        long t1 = System.nanoTime();
        timings.put("text", ms(t1 - t0));
        RgbImage resized = rescale(original);
        int h = resized.height(), w = resized.width(), q = text.length;
        float[] pixels = normalize(resized);
        // background words, if any, are one more label after the classes (the name files keep background as class 0)
        SlidePostprocess post = new SlidePostprocess(vocabulary.rowLabels(), vocabulary.labelCount(), options.logitScale(),
                options.probThd(), options.areaThd());
        int[] labels;
        int windows;
        long t2;
        float[] logits;
        int lh, lw;
        if (options.wholeImage()) {
            Grid g = gridLogits(pixels, h, w, new Window(0, 0, h, w), text);
            windows = 1;
            t2 = System.nanoTime();
            if (options.twoStepWhole()) {
                logits = Resample.bilinear(g.logits, q, g.height, g.width, h, w);
                lh = h;
                lw = w;
            } else {
                logits = g.logits;
                lh = g.height;
                lw = g.width;
            }
        } else {
            List<Window> boxes = SlideGeometry.windows(h, w, options.crop(), options.stride());
            windows = boxes.size();
            logits = slideLogits(pixels, h, w, boxes, text);
            lh = h;
            lw = w;
            t2 = System.nanoTime();
        }
        if (options.pamr() != null) {
            labels = refinedLabels(post, logits, q, lh, lw, pixels, h, w, original.width(), original.height());
        } else {
            labels = post.labels(logits, lh, lw, original.height(), original.width());
        }
        long t3 = System.nanoTime();
        timings.put("network", ms(t2 - t1));
        timings.put("postprocess", ms(t3 - t2));
        timings.put("total", ms(t3 - t0));
        return new Result(vocabulary, original.width(), original.height(), labels, w, h, windows, timings);
    }

    /**
     * The optional PAMR step (training-free-methods.md §3.10): the logits at the original size, refined with the
     * normalized resized image bilinearly resized to the original size as the guide, then the usual decision. Unlike
     * the plain path this holds the full-size maps ({@code Q × H0 × W0} floats).
     */
    private int[] refinedLabels(SlidePostprocess post, float[] logits, int q, int lh, int lw, float[] pixels, int h, int w,
                                int outW, int outH) {
        float[] full = lh == outH && lw == outW ? logits : Resample.bilinear(logits, q, lh, lw, outH, outW);
        float[] guide = h == outH && w == outW ? pixels : Resample.bilinear(pixels, 3, h, w, outH, outW);
        float[] refined = options.pamr().refine(full, q, guide, 3, outH, outW);
        return post.labels(refined, outH, outW, outH, outW);
    }

    private float[][] checkedText(float[][] text, Vocabulary vocabulary) {
        int rows = vocabulary.textRows().size(), dim = model.config().embedDim();
        if (text.length != rows) throw new IllegalArgumentException("text features have " + text.length + " rows, the vocabulary " + rows);
        for (float[] r : text) {
            if (r.length != dim) throw new IllegalArgumentException("text feature of width " + r.length + ", the model embeds in " + dim);
        }
        return text;
    }

    /** mmcv {@code imrescale} to (maxLong, S) with OpenCV's uint8 bilinear (channel order does not matter). */
    public RgbImage rescale(RgbImage img) {
        int[] size = SlideGeometry.rescaleSize(img.width(), img.height(), options.maxLong(), options.shortSide());
        if (size[0] <= 0 || size[1] <= 0) {
            throw new IllegalArgumentException("image " + img.width() + "x" + img.height() + " rescales to an empty image");
        }
        if (size[0] == img.width() && size[1] == img.height()) return img;
        return new RgbImage(size[0], size[1], OpenCvResize.linear(img.rgb(), img.width(), img.height(), 3, size[0], size[1]));
    }

    /** {@code (v - mean) / std} per channel in float32 with a true division (§3.2), planar RGB. */
    public static float[] normalize(RgbImage img) {
        int n = img.width() * img.height();
        float[] out = new float[3 * n];
        byte[] rgb = img.rgb();
        for (int p = 0; p < n; p++) {
            for (int c = 0; c < 3; c++) out[c * n + p] = ((float) (rgb[3 * p + c] & 0xff) - MEAN[c]) / STD[c];
        }
        return out;
    }

    /** The averaged window logits {@code [Q, h, w]} at the resized size (§3.6): sum of windows over their count. */
    public float[] slideLogits(float[] pixels, int h, int w, List<Window> boxes, float[][] text) {
        int q = text.length;
        float[] preds = new float[q * h * w];
        int[] count = new int[h * w];
        for (Window b : boxes) {
            Grid g = gridLogits(pixels, h, w, b, text);
            int wh = b.height(), ww = b.width();
            float[] up = upsampleWindow(g, q, wh, ww);
            for (int c = 0; c < q; c++) {
                for (int y = 0; y < wh; y++) {
                    int dst = (c * h + b.y1() + y) * w + b.x1(), src = (c * wh + y) * ww;
                    for (int x = 0; x < ww; x++) preds[dst + x] += up[src + x];
                }
            }
            for (int y = b.y1(); y < b.y2(); y++) {
                for (int x = b.x1(); x < b.x2(); x++) count[y * w + x]++;
            }
        }
        for (int c = 0; c < q; c++) {
            for (int p = 0; p < h * w; p++) preds[c * h * w + p] /= (float) count[p];
        }
        return preds;
    }

    /** Cosine logits of one window on its patch grid, {@code [Q, gridH, gridW]}, plus how to place them. */
    record Grid(float[] logits, int height, int width, int padTop, int padLeft, int paddedH, int paddedW) {
    }

    /** A window's logits at its pixel size: bilinear from the grid, through the padded size when padded (§3.4). */
    private static float[] upsampleWindow(Grid g, int q, int wh, int ww) {
        if (g.paddedH == wh && g.paddedW == ww) return Resample.bilinear(g.logits, q, g.height, g.width, wh, ww);
        float[] padded = Resample.bilinear(g.logits, q, g.height, g.width, g.paddedH, g.paddedW);
        float[] out = new float[q * wh * ww];
        for (int c = 0; c < q; c++) {
            for (int y = 0; y < wh; y++) {
                System.arraycopy(padded, (c * g.paddedH + g.padTop + y) * g.paddedW + g.padLeft, out, (c * wh + y) * ww, ww);
            }
        }
        return out;
    }

    /**
     * Runs one window through the network (§3.4): the method's last block, L2-normalized patch features, cosine
     * with each query. SCLIP/NACLIP drop the pixels past the last whole patch; ClearCLIP zero-pads (in normalized
     * space) to the next multiple of the patch, half before and the rest after.
     */
    Grid gridLogits(float[] pixels, int h, int w, Window b, float[][] text) {
        int wh = b.height(), ww = b.width();
        int padTop = 0, padLeft = 0, inH, inW, netH, netW;
        if (options.padToPatch()) {
            netH = ceilTo(wh);
            netW = ceilTo(ww);
            padTop = (netH - wh) / 2;
            padLeft = (netW - ww) / 2;
            inH = netH;
            inW = netW;
        } else {
            netH = wh / patch * patch;
            netW = ww / patch * patch;
            inH = wh;
            inW = ww;
        }
        if (netH == 0 || netW == 0) {
            throw new IllegalArgumentException("window " + ww + "x" + wh + " is smaller than one " + patch + "-pixel patch");
        }
        if ((netH / patch) * (netW / patch) > MAX_TOKENS) {
            throw new IllegalArgumentException("a " + netW + "x" + netH + " window needs more than " + MAX_TOKENS
                    + " tokens; use --crop with a window size, or a smaller --size");
        }
        if (dense instanceof WindowFeatures wf) {
            if (options.padToPatch()) throw new IllegalArgumentException(options.method().cliName() + " cannot pad windows to the patch");
            // the window at its own pixel size, with the text rows (ResCLIP's first pass works there)
            float[] window = new float[3 * wh * ww];
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < wh; y++) System.arraycopy(pixels, (c * h + b.y1() + y) * w + b.x1(), window, (c * wh + y) * ww, ww);
            }
            VisionOutput out = wf.forwardWindow(model, window, wh, ww, text);
            return new Grid(PatchLogits.of(out, text, PatchLogits.Precision.DOUBLE, 1f), out.gridH(), out.gridW(), 0, 0, wh, ww);
        }
        float[] input = new float[3 * netH * netW];
        int copyH = Math.min(wh, netH), copyW = Math.min(ww, netW);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < copyH; y++) {
                System.arraycopy(pixels, (c * h + b.y1() + y) * w + b.x1(), input, (c * netH + padTop + y) * netW + padLeft, copyW);
            }
        }
        VisionOutput out = dense.forward(model, input, netH, netW);
        return new Grid(PatchLogits.of(out, text, PatchLogits.Precision.DOUBLE, 1f), out.gridH(), out.gridW(), padTop, padLeft, inH, inW);
    }

    /** The L2-normalized patch features of the whole resized image, {@code [gh·gw, embed]} (for conformance checks). */
    public float[] wholeFeatures(float[] pixels, int h, int w) {
        int netH = h / patch * patch, netW = w / patch * patch;
        float[] input = new float[3 * netH * netW];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < netH; y++) System.arraycopy(pixels, (c * h + y) * w, input, (c * netH + y) * netW, netW);
        }
        return PatchLogits.normalizedPatches(dense.forward(model, input, netH, netW));
    }

    private int ceilTo(int v) {
        return (v + patch - 1) / patch * patch;
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }
}
