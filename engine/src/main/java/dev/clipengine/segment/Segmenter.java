package dev.clipengine.segment;

import dev.clipengine.image.ClipPreprocess;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.VisionOutput;
import dev.clipengine.model.VisionRequest;
import dev.clipengine.segmentation.ClusterVoting;
import dev.clipengine.segmentation.Dbscan;
import dev.clipengine.segmentation.Denoise;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CLIPtrase segmentation (spec cliptrase.md §3.2): the CLIPtrase forward gives patch features and
 * the second-to-last block's correlation W; patch·text logits give a per-pixel CLIP prediction;
 * W, denoised, is clustered with DBSCAN (on the model's backend); cluster prototypes, smoothed, split the image into regions
 * and each region takes its majority class.
 *
 * <p>Stateless apart from the model and options: one instance (or many) may be used from any number
 * of threads at once on one loaded model.
 */
public final class Segmenter {

    /** The reference multiplies the cosine logits by a literal 100 (OpenAI's exp(logit_scale)). */
    public static final float LOGIT_SCALE = 100f;

    private final ClipModel model;
    private final SegmentOptions options;

    public Segmenter(ClipModel model, SegmentOptions options) {
        model.checkImageSize(options.size());
        this.model = model;
        this.options = options;
    }

    public SegmentOptions options() {
        return options;
    }

    /** Class text features for the vocabulary (prompt-ensembled, cached per model and vocabulary). */
    public float[][] textFeatures(Vocabulary vocabulary) {
        return TextFeatures.of(model, vocabulary, options.templates());
    }

    public Segmentation segment(RgbImage original, Vocabulary vocabulary) {
        return segment(original, vocabulary, null);
    }

    /**
     * As {@link #segment(RgbImage, Vocabulary)}, with the class text features given: the rows
     * {@link #textFeatures(Vocabulary)} returns, computed elsewhere (a Spark driver computes them once and
     * broadcasts them to the executors); null computes them here.
     */
    public Segmentation segment(RgbImage original, Vocabulary vocabulary, float[][] textFeatures) {
        Map<String, Double> timings = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        float[][] text = textFeatures != null ? checkedText(textFeatures, vocabulary) : textFeatures(vocabulary);
        long t1 = System.nanoTime();
        timings.put("text", ms(t1 - t0));

        int s = options.size(), patch = model.config().patchSize();
        RgbImage input;
        int outW, outH;
        if (options.protocol() == SegmentOptions.Protocol.CLIPTRASE) {
            input = ClipPreprocess.resizeShortSideCenterCrop(original, s); // only the kept window is resized
            outW = outH = s;
        } else {
            input = fullProtocolInput(original, s, patch);
            outW = original.width();
            outH = original.height();
        }
        float[] pixels = ClipPreprocess.normalize(input);
        VisionOutput out = model.vision().forward(pixels, input.height(), input.width(),
                VisionRequest.cliptrase(options.posInterp()));
        long t2 = System.nanoTime();
        timings.put("network", ms(t2 - t1));

        int gh = out.gridH(), gw = out.gridW(), n = gh * gw;
        // every token L2-normalized (spec §3.2), then patch logits [rows × gh × gw], class-major; a class with
        // synonyms scores the best of its names (docs/pipeline.md "Vocabulary"), background rows stay rows
        float[] logits = vocabulary.maxOverSynonyms(PatchLogits.of(out, text, PatchLogits.Precision.FLOAT, LOGIT_SCALE), n);
        float[] classWeights = options.effectiveClsReweight(vocabulary)
                ? vocabulary.maxOverSynonyms(PatchLogits.cls(out, text, PatchLogits.Precision.FLOAT, LOGIT_SCALE), 1) : null;
        int rows = vocabulary.classCount() + vocabulary.background().size();

        int tokens = n + 1;
        float[] m;
        int[] labels;
        if (options.denoise() == SegmentOptions.DenoiseMode.CLS_ROW) {
            m = Denoise.clsRow(out.correlation(), tokens);
            labels = Dbscan.fit(model.backend(), m, n, n, options.effectiveEps(), options.effectiveMinSamples());
        } else {
            Denoise.SelfWeight sw = Denoise.selfWeight(out.correlation(), tokens);
            m = sw.m();
            int kept = sw.kept().length;
            labels = sw.expandLabels(Dbscan.fit(model.backend(), sw.features(), kept, kept, options.effectiveEps(),
                    options.effectiveMinSamples()));
        }
        long t3 = System.nanoTime();
        timings.put("dbscan", ms(t3 - t2));

        ClusterVoting.Result r = ClusterVoting.run(logits, rows, gh, gw, classWeights, vocabulary.classes().size(),
                vocabulary.hasBackground(), m, labels, outH, outW);
        long t4 = System.nanoTime();
        timings.put("postprocess", ms(t4 - t3));
        timings.put("total", ms(t4 - t0));
        RgbImage aligned = options.protocol() == SegmentOptions.Protocol.CLIPTRASE ? input : original;
        return new Segmentation(vocabulary, aligned, gh, gw, r.pred(), r.rawPred(), r.rawGap(), r.clusterMap(), m, labels,
                r.clusters(), r.noise(), timings);
    }

    /** Given text features must be one unit row per text row of the vocabulary, in the model's embedding width. */
    private float[][] checkedText(float[][] text, Vocabulary vocabulary) {
        int rows = vocabulary.textRows().size(), dim = model.config().embedDim();
        if (text.length != rows) throw new IllegalArgumentException("text features have " + text.length + " rows, the vocabulary " + rows);
        for (float[] r : text) {
            if (r.length != dim) throw new IllegalArgumentException("text feature of width " + r.length + ", the model embeds in " + dim);
        }
        return text;
    }

    /**
     * The {@code full} protocol's network input: the short side resized to S and the long side to the
     * nearest multiple of the patch (at most half a patch of aspect change), with PIL bicubic.
     */
    static RgbImage fullProtocolInput(RgbImage img, int s, int patch) {
        int w = img.width(), h = img.height();
        double scale = (double) s / Math.min(w, h);
        int outW = w <= h ? s : Math.max(patch, (int) Math.round(w * scale / patch) * patch);
        int outH = h < w ? s : Math.max(patch, (int) Math.round(h * scale / patch) * patch);
        if (w == h) outW = outH = s;
        int maxSide = ClipModel.MAX_IMAGE_SIZE;
        if (outW > maxSide || outH > maxSide) {
            throw new IllegalArgumentException("image aspect " + w + "x" + h + " at size " + s + " needs a " + outW + "x" + outH
                    + " input, larger than " + maxSide + "; use --protocol cliptrase or a smaller --size");
        }
        return ClipPreprocess.resizeBicubic(img, outW, outH);
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }
}
