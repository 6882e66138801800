package dev.clipengine.segment;

import dev.clipengine.image.ClipPreprocess;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.VisionOutput;
import dev.clipengine.model.VisionRequest;
import dev.clipengine.segmentation.ClusterVoting;
import dev.clipengine.segmentation.Dbscan;
import dev.clipengine.segmentation.Denoise;
import dev.clipengine.segmentation.LabelTarget;
import dev.clipengine.segmentation.WholeImageGeometry;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CLIPtrase segmentation (spec cliptrase.md §3.2): the CLIPtrase forward gives patch features and
 * the second-to-last block's correlation W; patch·text logits give a per-pixel CLIP prediction;
 * W, denoised, is clustered with DBSCAN (on the model's backend); cluster prototypes, smoothed, split the image into regions
 * and each region takes its majority class. Two protocols (docs/protocols.md): the reference's centre crop, and
 * {@code full}, the whole image at its resolution, in windows where it is too long for one pass.
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
        timings.put("text", ms(System.nanoTime() - t0));
        Segmentation s = options.protocol() == SegmentOptions.Protocol.CLIPTRASE
                ? centreCrop(original, vocabulary, text, timings) : whole(original, vocabulary, text, timings);
        timings.put("total", ms(System.nanoTime() - t0));
        return s;
    }

    /**
     * The reference's protocol: the S×S centre crop, maps at S×S with every intermediate map kept (the conformance
     * tests compare them with the reference's).
     */
    private Segmentation centreCrop(RgbImage original, Vocabulary vocabulary, float[][] text, Map<String, Double> timings) {
        int s = options.size();
        RgbImage input = ClipPreprocess.resizeShortSideCenterCrop(original, s); // only the kept window is resized
        Pass p = pass(input, vocabulary, text, timings);
        long t = System.nanoTime();
        ClusterVoting.Result r = ClusterVoting.run(p.logits, p.rows, p.gh, p.gw, p.classWeights, vocabulary.classCount(),
                vocabulary.hasBackground(), p.m, p.labels, s, s);
        add(timings, "postprocess", t);
        return new Segmentation(vocabulary, input, p.gh, p.gw, r.pred(), r.rawPred(), r.rawGap(), r.clusterMap(), p.m, p.labels,
                r.clusters(), r.noise(), timings, MapPlacement.centreCrop(original.width(), original.height(), s));
    }

    /**
     * The {@code full} protocol: the whole image at its own resolution, in one pass or in windows along its long
     * side ({@link WholeImageGeometry}); each window is a complete CLIPtrase run whose labels stream straight into
     * the pixels it owns. No per-pixel intermediate map is kept: at 8000×6000 each would cost 192 MB.
     */
    private Segmentation whole(RgbImage original, Vocabulary vocabulary, float[][] text, Map<String, Double> timings) {
        int patch = model.config().patchSize();
        WholeImageGeometry g = WholeImageGeometry.of(original.width(), original.height(), options.size(), patch,
                ClipModel.MAX_IMAGE_SIZE);
        int[] labels = new int[Math.multiplyExact(original.width(), original.height())];
        int clusters = 0, noise = 0;
        Pass last = null;
        for (WholeImageGeometry.Window w : g.windows()) {
            RgbImage input = ClipPreprocess.resizeBicubicWindow(original, g.resizedWidth(), g.resizedHeight(), w.x(), w.y(),
                    w.width(), w.height());
            last = pass(input, vocabulary, text, timings);
            long t = System.nanoTime();
            LabelTarget target = new LabelTarget(labels, original.width(), w.mapX(), w.mapY(), w.keepX0(), w.keepY0(),
                    w.keepX1(), w.keepY1());
            ClusterVoting.Summary sum = ClusterVoting.stream(new ClusterVoting.Scores(last.logits, last.rows, last.gh, last.gw,
                    last.classWeights, vocabulary.classCount(), vocabulary.hasBackground()), last.m, last.labels,
                    w.mapHeight(), w.mapWidth(), target, null);
            add(timings, "postprocess", t);
            clusters += sum.clusters();
            noise += sum.noise();
        }
        boolean one = g.windows().size() == 1;
        return new Segmentation(vocabulary, original, g.resizedHeight() / patch, g.resizedWidth() / patch, labels, null, null, null,
                one ? last.m : null, one ? last.labels : null, clusters, noise, timings, MapPlacement.whole(g));
    }

    /**
     * One network pass and its clustering: patch logits ({@code rows} of them: classes, synonyms max-pooled, then
     * background words), [CLS] weights, denoised correlation, DBSCAN labels.
     */
    private record Pass(int gh, int gw, int rows, float[] logits, float[] classWeights, float[] m, int[] labels) {
    }

    private Pass pass(RgbImage input, Vocabulary vocabulary, float[][] text, Map<String, Double> timings) {
        long t1 = System.nanoTime();
        float[] pixels = ClipPreprocess.normalize(input);
        VisionOutput out = model.vision().forward(pixels, input.height(), input.width(),
                VisionRequest.cliptrase(options.posInterp()));
        long t2 = System.nanoTime();
        add(timings, "network", t1);

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
        add(timings, "dbscan", t2);
        return new Pass(gh, gw, rows, logits, classWeights, m, labels);
    }

    /** Adds the time since {@code since} to {@code key} (windows add up). */
    private static void add(Map<String, Double> timings, String key, long since) {
        timings.merge(key, ms(System.nanoTime() - since), (a, b) -> Math.round((a + b) * 100) / 100.0);
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

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }
}
