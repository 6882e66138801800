package dev.clipengine.cli;

import dev.clipengine.device.BackendSelector;
import dev.clipengine.heads.ClassEmbeddings;
import dev.clipengine.heads.ReclipHead;
import dev.clipengine.heads.ZegclipHead;
import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.kernels.Backend;
import dev.clipengine.segment.SegmentResult;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.weights.HeadCounts;
import dev.clipengine.weights.WeightsMain;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code segment --method reclip++|zegclip|tagclip}: the seed heads from the user's own checkpoint
 * (docs/seed-heads.md). Each image becomes the pipeline's {@link SegmentResult} and is written by
 * {@link SegmentCommand#write} like every other method's: {@code DIR/<stem>.labels.png} (class index per pixel, at
 * the original size), the overlay and the JSON record. The heads are not {@code MethodOptions}: those build a method
 * on a loaded CLIP, while a seed head loads its own checkpoint.
 */
final class SeedHeadRun implements Callable<Integer> {

    private final SegmentCommand cmd;
    private final String method;

    SeedHeadRun(SegmentCommand cmd) {
        this.cmd = cmd;
        this.method = cmd.slide.method.toLowerCase(Locale.ROOT);
    }

    @Override
    public Integer call() throws Exception {
        SeedHeadOptions o = cmd.seedHead;
        boolean reclip = method.equals("reclip++");
        refuseForeignOptions(reclip);
        if (cmd.classSource == null || cmd.classSource.classes == null) {
            throw new IllegalArgumentException("--method " + method + " needs --classes \"a,b,...\": the class names in the checkpoint's order");
        }
        Vocabulary vocabulary = Vocabulary.parse(cmd.classSource.classes, null);
        if (vocabulary.hasSynonyms()) {
            throw new IllegalArgumentException("--method " + method + ": a checkpoint's classes are one name each (its text rows), no '|' synonyms");
        }
        List<String> classes = vocabulary.classes();
        boolean upright = cmd.exif.apply();
        List<Path> inputs = SegmentCommand.expandImages(cmd.imageArguments());
        SegmentCommand.checkStems(inputs);
        PrintWriter stdout = cmd.spec.commandLine().getOut(), stderr = cmd.spec.commandLine().getErr();
        List<Path> runnable = SegmentCommand.checkHeaders(inputs, stderr);
        int failures = inputs.size() - runnable.size();
        if (runnable.isEmpty()) return ClipCli.EXIT_BAD_INPUT;
        Files.createDirectories(cmd.out);
        HeadCounts heads = cmd.model.headOptions.counts();
        BackendSelector.Selection selection = cmd.model.deviceOption.select(stderr);
        Backend backend = BackendSelector.open(selection);
        Progress steps = new Progress(stderr, "segment");
        Path ckpt = cmd.model.model;
        try {
            Segment run;
            if (reclip) {
                ReclipHead head = steps.step("loading the ReCLIP++ checkpoint " + ckpt.getFileName(), () -> ReclipHead.load(ckpt, backend,
                        new ReclipHead.Heads(heads.vision() == null ? 0 : heads.vision(), heads.text() == null ? 0 : heads.text())));
                run = reclip(head, classes, steps);
            } else {
                ZegclipHead head = steps.step("loading the " + method + " checkpoint " + ckpt.getFileName(),
                        () -> ZegclipHead.load(ckpt, backend, heads.vision() == null ? 0 : heads.vision(), 0));
                run = zegclip(head, classes, heads.text() == null ? 0 : heads.text(), steps);
            }
            try {
                for (Path img : runnable) {
                    try {
                        RgbImage rgb = ImageDecoder.read(img, upright);
                        SegmentResult s = steps.step("segmenting " + img.getFileName() + " (" + rgb.width() + "x" + rgb.height() + ")",
                                () -> run.segment(rgb, vocabulary));
                        String summary = cmd.write(img, s, method, s.timingsMs());
                        if (cmd.json) stdout.println(summary);
                    } catch (IOException | RuntimeException | OutOfMemoryError e) {
                        failures++;
                        stderr.println("error: " + (inputs.size() > 1 ? img + ": " : "") + WeightsMain.describe(e));
                    }
                }
            } finally {
                run.close();
            }
        } finally {
            if (selection.cuda()) backend.close();
        }
        stdout.flush();
        stderr.flush();
        return failures == 0 ? 0 : ClipCli.EXIT_BAD_INPUT;
    }

    /**
     * One loaded head with everything the class list fixes already computed, giving the pipeline's
     * {@link SegmentResult} (labels at the original size, the method's facts and timings) like every other method.
     */
    private interface Segment extends AutoCloseable {
        SegmentResult segment(RgbImage image, Vocabulary vocabulary);

        @Override
        void close();
    }

    static SegmentResult result(RgbImage image, Vocabulary vocabulary, int[] labels, long startNanos, Map<String, Object> details) {
        Map<String, Double> t = new LinkedHashMap<>();
        t.put("total", Math.round((System.nanoTime() - startNanos) / 1e4) / 100.0);
        return new SegmentResult(vocabulary, image, labels, t, details, null);
    }

    private Segment reclip(ReclipHead head, List<String> classes, Progress steps) throws Exception {
        try {
            if (classes.size() != head.classes()) {
                throw new IllegalArgumentException("--classes names " + classes.size() + " classes but the decoder of "
                        + head.path().getFileName() + " has " + head.classes());
            }
            float[] text = cmd.seedHead.classEmbeddings != null
                    ? ClassEmbeddings.read(cmd.seedHead.classEmbeddings, head.classes(), head.embedDim()).values()
                    : steps.step("no --class-embeddings: recomputing the zero-shot weights (85 templates, fp32; the released ones are fp16)",
                            () -> head.zeroShotWeights(classes));
            float[] ref = head.referencePrompts(classes, null);
            int size = cmd.encoding.image.size != null ? cmd.encoding.image.size : 336;
            if (size < 1) throw new IllegalArgumentException("--size must be positive, got " + size);
            float pd = cmd.seedHead.pdThreshold != null ? cmd.seedHead.pdThreshold : 0f;
            return new Segment() {
                public SegmentResult segment(RgbImage image, Vocabulary vocabulary) {
                    long t0 = System.nanoTime();
                    ReclipHead.Run r = head.run(image, size, pd, text, ref);
                    int kept = 0;
                    for (boolean k : r.keep()) if (k) kept++;
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("size", size);
                    d.put("resized", new int[] {r.resized().width(), r.resized().height()});
                    d.put("grid", new int[] {r.gridH(), r.gridW()});
                    d.put("pd_threshold", pd);
                    d.put("pd_kept_classes", kept);
                    return result(image, vocabulary, r.pred(), t0, d);
                }

                public void close() {
                    head.close();
                }
            };
        } catch (IOException | RuntimeException e) {
            head.close();
            throw e;
        }
    }

    private Segment zegclip(ZegclipHead head, List<String> classes, int textHeads, Progress steps) throws Exception {
        try {
            boolean tag = method.equals("tagclip");
            if (tag != (head.family() == ZegclipHead.Family.TAGCLIP)) {
                throw new IllegalArgumentException(head.path().getFileName() + " is a " + head.family().name().toLowerCase(Locale.ROOT)
                        + " checkpoint; run it with --method " + head.family().name().toLowerCase(Locale.ROOT));
            }
            ClassEmbeddings.Table t;
            if (cmd.seedHead.classEmbeddings != null) {
                t = ClassEmbeddings.read(cmd.seedHead.classEmbeddings, 0, head.embedDim());
                if (t.rows() != classes.size()) {
                    throw new IllegalArgumentException("--classes names " + classes.size() + " classes but " + cmd.seedHead.classEmbeddings.getFileName()
                            + " holds " + t.rows() + " class embeddings");
                }
            } else {
                float[] rows = steps.step("no --class-embeddings: computing \"a photo of a {name}\" with the checkpoint's text encoder",
                        () -> head.textEmbeddings(classes, textHeads));
                t = new ClassEmbeddings.Table(rows, classes.size(), head.embedDim());
            }
            ZegclipHead.Settings d = head.defaults(classes.size());
            boolean[] seen = cmd.seedHead.seenClasses != null ? SeedHeadOptions.parseSeen(cmd.seedHead.seenClasses, classes.size()) : d.seen();
            ZegclipHead.Settings s = new ZegclipHead.Settings(cmd.encoding.image.size != null ? cmd.encoding.image.size : d.shortSide(),
                    cmd.slide.crop != null ? cmd.slide.crop : d.crop(), cmd.slide.stride != null ? cmd.slide.stride : d.stride(),
                    seen, cmd.seedHead.trustyWeighting);
            if (s.crop() < 1 || s.shortSide() < s.crop()) {
                throw new IllegalArgumentException("--size " + s.shortSide() + " and --crop " + s.crop() + ": the crop must be positive and at most the size");
            }
            if (s.stride() < 1) throw new IllegalArgumentException("--stride must be positive, got " + s.stride());
            return new Segment() {
                public SegmentResult segment(RgbImage image, Vocabulary vocabulary) {
                    long t0 = System.nanoTime();
                    ZegclipHead.Run r = head.run(image, t.values(), s);
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("size", s.shortSide());
                    d.put("resized", new int[] {r.resized().width(), r.resized().height()});
                    d.put("crop", s.crop());
                    d.put("stride", s.stride());
                    d.put("windows", r.windows().size());
                    if (tag) d.put("trusty_weighting", s.trustyWeighting());
                    return result(image, vocabulary, r.pred(), t0, d);
                }

                public void close() {
                    head.close();
                }
            };
        } catch (IOException | RuntimeException e) {
            head.close();
            throw e;
        }
    }

    /** Options of the other methods, or of the other seed head, are refused rather than silently ignored. */
    private void refuseForeignOptions(boolean reclip) {
        List<String> given = new java.util.ArrayList<>();
        SlideProtocolOptions s = cmd.slide;
        if (s.profile != null) given.add("--profile");
        if (s.logitScale != null) given.add("--logit-scale");
        if (s.probThd != null) given.add("--prob-thd");
        if (s.areaThd != null) given.add("--area-thd");
        if (s.sigma != null) given.add("--sigma");
        if (cmd.protocol != null) given.add("--protocol");
        if (cmd.eps != null) given.add("--eps");
        if (cmd.minSamples != null) given.add("--min-samples");
        if (cmd.background != null) given.add("--background");
        if (cmd.encoding.templates != null) given.add("--templates");
        if (reclip) {
            if (s.crop != null) given.add("--crop");
            if (s.stride != null) given.add("--stride");
            if (cmd.seedHead.seenClasses != null) given.add("--seen-classes");
        } else if (cmd.seedHead.pdThreshold != null) {
            given.add("--pd-threshold");
        }
        if (!given.isEmpty()) throw new IllegalArgumentException(String.join(", ", given) + " do not apply to --method " + method);
    }
}
