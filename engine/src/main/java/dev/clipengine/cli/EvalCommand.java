package dev.clipengine.cli;

import dev.clipengine.device.BackendSelector;
import dev.clipengine.heads.SeedHeadMethod;
import dev.clipengine.image.ImageDecoder;
import dev.clipengine.kernels.Backend;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.segment.Method;
import dev.clipengine.segment.MethodOptions;
import dev.clipengine.segment.SeedMethodOptions;
import dev.clipengine.segment.SegmentResult;
import dev.clipengine.segment.SegmentationMethod;
import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.Profile;
import dev.clipengine.segment.SlideOptions;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.segmentation.AtomicFiles;
import dev.clipengine.segmentation.ConfusionMatrix;
import dev.clipengine.segmentation.LabelMapWriter;
import dev.clipengine.segmentation.LabelMaps;
import dev.clipengine.segmentation.SegDataset;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.WeightsMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Scores a training-free method on a segmentation dataset, or scores existing label maps (--predictions).",
                "",
                "Metrics come from one int64 confusion matrix over the whole split: mIoU, pAcc, mAcc, fwIoU and per-class IoU/Acc, "
                        + "in the standard definition (mmseg; fwIoU as detectron2) and in the CLIPtrase reference's (+0.01 in the "
                        + "denominators, mAcc over all classes). Printed as Markdown; --out DIR also writes DIR/metrics.json and DIR/metrics.md.",
                "",
                "Without --profile, a slide method runs its repository's profile for the dataset (sclip-<dataset> for vanilla, "
                        + "maskclip, maskclip-reduced and sclip; naclip-<dataset>; clearclip-<dataset>), CamVid the default protocol. "
                        + "Images run --jobs at a time; the result does not depend on the order.",
                "",
                "--method cliptrase runs CLIPtrase with the full protocol (whole image, maps at the original size; --size default 336, "
                        + "the reference's DBSCAN settings for the size), with the reference's own class lists for its benchmarks "
                        + "(VOC20/21, PC59/60, COCO-Object/Stuff, ADE150, background words included) and the first name of each "
                        + "class elsewhere. Its background label C is mapped to the dataset's background class 0.",
                "",
                "--method reclip++|zegclip|tagclip runs a seed head from its own --model checkpoint (with --class-embeddings, "
                        + "--seen-classes, --pd-threshold, --[no-]trusty-weighting as segment takes them). Its classes are the "
                        + "dataset's, in order (class i = label i; --classes-file renames them); the checkpoint's class count "
                        + "must equal the dataset's, e.g. a VOC checkpoint of 20 classes with voc20.",
                "",
                "Dataset layouts (--dataset):",
                "  voc21   PASCAL VOC 2012: JPEGImages, SegmentationClass (0 = background, 255 ignored), ImageSets/Segmentation/<split>.txt",
                "  voc20   the same, 0 and 255 ignored (reduce-zero-label)",
                "  pc60    PASCAL Context (mmseg: VOC2010/SegmentationClassContext, 0 = background, 255 ignored)",
                "  pc59    PASCAL Context 59 (mmseg files with reduce-zero-label, or detectron2 annotations_ctx59, 255 ignored)",
                "  ade     ADE20K ADEChallengeData2016 or the SceneParsing sampleData layout (0 ignored, reduce-zero-label)",
                "  stuff   COCO-Stuff 164k (mmseg *_labelTrainIds.png, 0-170, 255 ignored)",
                "  object  COCO-Object (SCLIP's *_instanceTrainIds.png, 0 = background, 255 ignored)",
                "  city    Cityscapes leftImg8bit + gtFine *_labelTrainIds (255 ignored)",
                "  camvid  CamVid SegNet layout <split>/ + <split>annot/ (11 ignored)"},
        footerHeading = "%nEXAMPLES%n",
        footer = {
                "  java -jar engine.jar eval --dataset voc21 --data VOCdevkit/VOC2012 \\",
                "      --model ViT-B/16 --device cuda --method sclip --profile sclip-voc21",
                "  java -jar engine.jar eval --dataset camvid --data camvid-val \\",
                "      --model b16.safetensors --limit 50 --out results/",
                "  java -jar engine.jar eval --dataset voc20 --data VOCdevkit/VOC2012 \\",
                "      --method reclip++ --model best_weight.pth \\",
                "      --class-embeddings voc_clip_text.pth --pd-threshold 1.0",
                "  java -jar engine.jar eval --dataset ade --data ADEChallengeData2016 \\",
                "      --predictions preds/",
                "",
                "EXIT STATUS",
                "  0 on success; 2 on bad arguments or unusable input (one line on stderr),",
                "  and when any image failed (one line each; the scores cover the others)."})
final class EvalCommand implements java.util.concurrent.Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--dataset", required = true, paramLabel = "TYPE", description = "voc21, voc20, pc60, pc59, ade, stuff, object, city, camvid.")
    String dataset;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "The dataset's root folder.")
    Path data;

    @Option(names = "--split", defaultValue = "val", paramLabel = "NAME", description = "Split (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--predictions", paramLabel = "DIR",
            description = "Score existing label maps <id>.png or <id>.labels.png instead of running a model.")
    Path predictions;

    @Option(names = "--predictions-format", defaultValue = "classes", paramLabel = "F",
            description = "classes: pixel value = class index, as segment writes (default). dataset: the dataset's own encoding, converted like its ground truth.")
    String predictionsFormat;

    /** --model (not read with --predictions), the head counts and --device, as every command that runs the network. */
    @Mixin
    ModelOptions model;

    @Mixin
    SlideProtocolOptions slide;

    /** --class-embeddings, --seen-classes, --pd-threshold, --[no-]trusty-weighting of the seed heads. */
    @Mixin
    SeedHeadOptions seedHead;

    /** --size, --pos-interp, --templates, as segment's. */
    @Mixin
    EncodingOptions encoding;

    @Option(names = "--classes-file", paramLabel = "FILE", description = "Name file with synonyms (default: the dataset's bundled SCLIP file).")
    Path classesFile;

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N images (in id order).")
    Integer limit;

    @Option(names = "--jobs", paramLabel = "N", description = "Images processed at once (default 2).")
    int jobs = 2;

    /** On by default as in every command (recent OpenCV applies it too; VOC/Context images carry no tag). */
    @Mixin
    ExifOption exif;

    @Option(names = "--save-predictions", paramLabel = "DIR", description = "Also write each prediction as DIR/<id>.png (class indices).")
    Path savePredictions;

    @Option(names = "--out", paramLabel = "DIR", description = "Write DIR/metrics.json and DIR/metrics.md.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (limit != null && limit < 1) throw new IllegalArgumentException("--limit must be at least 1, got " + limit);
        if (jobs < 1) throw new IllegalArgumentException("--jobs must be at least 1, got " + jobs);
        exif.apply();   // --exif with --no-exif: refused before any work
        if (!predictionsFormat.equals("classes") && !predictionsFormat.equals("dataset")) {
            throw new IllegalArgumentException("--predictions-format must be classes or dataset, got '" + predictionsFormat + "'");
        }
        SegDataset ds = SegDataset.open(dataset, data, split);
        List<SegDataset.Sample> samples = ds.samples();
        if (samples.isEmpty()) throw new IllegalArgumentException(data + ": no images in split '" + split + "'");
        if (limit != null && limit < samples.size()) samples = samples.subList(0, limit);
        if (predictions != null && !Files.isDirectory(predictions)) throw new NoSuchFileException(predictions.toString());
        SegmentCommand.requireFolder(savePredictions, "--save-predictions");
        SegmentCommand.requireFolder(out, "--out");
        if (savePredictions != null) Files.createDirectories(savePredictions);
        if (out != null) Files.createDirectories(out);

        Vocabulary vocabulary = classesFile != null ? Vocabulary.read(classesFile) : Vocabulary.nameFile(dataset);
        if (vocabulary.classCount() != ds.numClasses()) {
            throw new IllegalArgumentException("the name file has " + vocabulary.classCount() + " classes, " + dataset + " has " + ds.numClasses());
        }
        List<String> names = new ArrayList<>();
        for (int c = 0; c < ds.numClasses(); c++) names.add(c == 0 && ds.background() ? "background" : vocabulary.labelName(c));

        Map<String, Object> header = new LinkedHashMap<>();
        header.put("dataset", dataset);
        header.put("layout", ds.layout());
        header.put("split", split);
        header.put("label_convention", ds.convention().describe());
        header.put("images", samples.size());
        ConfusionMatrix matrix = new ConfusionMatrix(ds.numClasses());
        PrintWriter stdout = spec.commandLine().getOut(), stderr = spec.commandLine().getErr();
        int failures;
        if (predictions != null) {
            header.put("predictions", predictions.toString());
            header.put("predictions_format", predictionsFormat);
            failures = run(samples, stderr, s -> score(ds, s, readPrediction(ds, s), matrix));
        } else if (SeedHeadOptions.isSeedHead(slide.method)) {
            // a seed head loads its own checkpoint (not a CLIP), then runs the same loop as every other method
            Plan plan = seedPlan(names, header);
            SeedMethodOptions seed = (SeedMethodOptions) plan.options();
            Path weights = seed.checkpoint();
            if (!Files.exists(weights)) throw new NoSuchFileException(weights.toString());
            BackendSelector.Selection selection = model.deviceOption.select(stderr);
            Backend backend = BackendSelector.open(selection);
            try (SeedHeadMethod method = seed.open(backend)) {
                header.put("model", weights.getFileName().toString());
                failures = segmentAll(samples, ds, plan, method, matrix, stderr);
            } finally {
                if (selection.cuda()) backend.close();
            }
        } else {
            if (seedHead.classEmbeddings != null || seedHead.seenClasses != null || seedHead.pdThreshold != null) {
                throw new IllegalArgumentException("--class-embeddings, --seen-classes and --pd-threshold apply to --method reclip++|zegclip|tagclip only");
            }
            // every method the same way: its options and vocabulary, then one loop over the pipeline's interface
            Plan plan = slide.method() == Method.CLIPTRASE ? cliptrasePlan(ds, vocabulary, header) : slidePlan(vocabulary, header);
            try (ClipModel clip = model.load(new Progress(stderr, "eval"))) {
                header.put("model", clip.describe());
                failures = segmentAll(samples, ds, plan, plan.options().create(clip), matrix, stderr);
            }
        }
        header.put("failed_images", failures);
        String title = dataset + " (" + split + ", " + (samples.size() - failures) + " images)"
                + (predictions != null ? ", predictions " + predictions.getFileName() : ", " + header.get("method") + " / " + header.get("profile"));
        String md = MetricsReport.markdown(title, matrix, names);
        if (out != null) {
            AtomicFiles.writeString(out.resolve("metrics.json"), Json.write(MetricsReport.json(header, matrix, names)) + "\n");
            AtomicFiles.writeString(out.resolve("metrics.md"), md);
        }
        stdout.print(md);
        stdout.flush();
        return failures == 0 ? 0 : ClipCli.EXIT_BAD_INPUT;
    }

    /** The text features once, then every sample through the method, mapped to the dataset's numbering and scored. */
    private int segmentAll(List<SegDataset.Sample> samples, SegDataset ds, Plan plan, SegmentationMethod method, ConfusionMatrix matrix,
                           PrintWriter stderr) throws InterruptedException {
        float[][] text = method.textFeatures(plan.vocabulary());
        return run(samples, stderr, s -> {
            SegmentResult r = method.segment(ImageDecoder.read(s.image(), exif.apply()), plan.vocabulary(), text);
            int[] labels = plan.toDataset(r.labels());
            if (savePredictions != null) {
                LabelMapWriter.writePng(savePredictions.resolve(s.id() + ".png"), labels, r.width(), r.height(), ds.numClasses());
            }
            score(ds, s, new LabelMaps.Map(r.width(), r.height(), labels), matrix);
        });
    }

    /**
     * A seed head ({@code --method reclip++|zegclip|tagclip}, docs/seed-heads.md) over the dataset: its classes are the
     * dataset's, one name each in the dataset's order (the checkpoint's class count must match), so label i is class i.
     */
    private Plan seedPlan(List<String> classNames, Map<String, Object> header) {
        List<String> given = new ArrayList<>();
        if (slide.profile != null) given.add("--profile");
        if (slide.logitScale != null) given.add("--logit-scale");
        if (slide.probThd != null) given.add("--prob-thd");
        if (slide.areaThd != null) given.add("--area-thd");
        if (slide.sigma != null) given.add("--sigma");
        if (encoding.templates != null) given.add("--templates");
        if (model.model == null) throw new IllegalArgumentException("--method " + slide.method + " needs --model CHECKPOINT (its own, not a CLIP)");
        if (!given.isEmpty()) throw new IllegalArgumentException(String.join(", ", given) + " do not apply to --method " + slide.method);
        SeedMethodOptions o = seedHead.resolve(slide.method, model.model, encoding.image.size, slide.crop, slide.stride,
                model.headOptions.counts());
        header.put("method", o.name());
        header.put("profile", "checkpoint");
        header.put("class_embeddings", o.classEmbeddings() == null ? "recomputed" : o.classEmbeddings().getFileName().toString());
        if (o.size() != null) header.put("short_side", o.size());
        if (o.crop() != null) header.put("crop", o.crop());
        if (o.stride() != null) header.put("stride", o.stride());
        if (o.seenClasses() != null) header.put("seen_classes", o.seenClasses());
        if (o.pdThreshold() != null) header.put("pd_threshold", o.pdThreshold());
        if (o.name().equals("tagclip")) header.put("trusty_weighting", o.trustyWeighting());
        return new Plan(o, Vocabulary.of(dataset, classNames, List.of()), false);
    }

    /**
     * What {@code eval} runs: a method's options and vocabulary, and whether its labels number background last
     * (CLIPtrase's label C) where the dataset numbers it 0.
     */
    private record Plan(MethodOptions options, Vocabulary vocabulary, boolean backgroundLast) {
        int[] toDataset(int[] labels) {
            if (!backgroundLast) return labels;
            int classes = vocabulary.classCount();
            int[] out = labels.clone();
            for (int p = 0; p < out.length; p++) out[p] = out[p] >= classes ? 0 : out[p] + 1;
            return out;
        }
    }

    /** A slide method with the dataset's name file (or --classes-file) as it is: class 0 is the dataset's 0. */
    private Plan slidePlan(Vocabulary names, Map<String, Object> header) throws IOException {
        SlideOptions options = options();
        header.putAll(describe(options));
        return new Plan(options, names, false);
    }

    /** The slide protocol: explicit options over the profile, whose default is the method's repository's for this dataset. */
    private SlideOptions options() throws IOException {
        Method m = slide.method();
        if (slide.profile == null) {
            String repo = switch (m) {
                case NACLIP -> "naclip";
                case CLEARCLIP -> "clearclip";
                case SCCLIP -> "scclip";
                case RESCLIP -> "resclip";
                default -> "sclip";
            };
            Profile p = Profile.forDataset(repo, dataset);
            if (p != null) slide.profile = p.name();
        }
        return slide.resolve("slide", encoding.image.size, encoding.image.interpolation(PositionalInterpolation.CLIPTRASE),
                encoding.templates());
    }

    /**
     * CLIPtrase over a dataset: the {@code full} protocol (whole image, maps at the original size, so
     * they compare with the ground truth pixel for pixel), the reference's DBSCAN settings for the
     * size, and the reference's own class lists where the dataset is one of its nine benchmarks.
     * CLIPtrase numbers background last (label C); datasets with a background class number it 0.
     */
    private Plan cliptrasePlan(SegDataset ds, Vocabulary names, Map<String, Object> header) throws IOException {
        Vocabulary v = cliptraseVocabulary(ds, names);
        List<String> t = encoding.templates();
        SegmentOptions o = new SegmentOptions(encoding.image.size(336), SegmentOptions.Protocol.FULL, null, null, null,
                SegmentOptions.DenoiseMode.CLS_ROW, encoding.image.interpolation(PositionalInterpolation.CLIPTRASE), t);
        header.put("method", "cliptrase");
        header.put("profile", "cliptrase-full");
        header.put("short_side", o.size());
        header.put("eps", o.effectiveEps());
        header.put("min_samples", o.effectiveMinSamples());
        header.put("class_names", v.name());
        header.put("background_words", v.background().size());
        header.put("templates", t.size());
        return new Plan(o, v, ds.background());
    }

    /** The CLIPtrase reference's class list for its benchmarks; otherwise each class's first name (and "background"). */
    private Vocabulary cliptraseVocabulary(SegDataset ds, Vocabulary names) {
        String reference = switch (dataset) {
            case "voc21" -> "VOC21";
            case "voc20" -> "VOC20";
            case "pc60" -> "PC60";
            case "pc59" -> "PC59";
            case "object" -> "COCO80";
            case "stuff" -> "COCO171";
            case "ade" -> "ADE150";
            default -> null;
        };
        int own = ds.numClasses() - (ds.background() ? 1 : 0);
        if (classesFile == null && reference != null) {
            Vocabulary v = Vocabulary.named(reference);
            if (v.classes().size() == own && v.hasBackground() == ds.background()) return v;
        }
        List<String> classes = new ArrayList<>();
        for (int c = ds.background() ? 1 : 0; c < ds.numClasses(); c++) classes.add(names.labelName(c));
        return Vocabulary.of(dataset, classes, ds.background() ? List.of("background") : List.of());
    }

    private Map<String, Object> describe(SlideOptions o) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("method", o.method().cliName());
        h.put("profile", slide.profile == null ? "default" : slide.profile);
        h.put("short_side", o.shortSide());
        h.put("crop", o.crop());
        h.put("stride", o.stride());
        h.put("logit_scale", o.logitScale());
        h.put("prob_thd", o.probThd());
        h.put("area_thd", o.areaThd());
        if (o.method() == Method.NACLIP || o.method() == Method.RESCLIP) h.put("sigma", o.sigma());
        if (o.pamr() != null) h.put("pamr", o.pamr().steps());
        h.put("templates", o.templates().size());
        return h;
    }

    private LabelMaps.Map readPrediction(SegDataset ds, SegDataset.Sample s) throws IOException {
        Path p = predictions.resolve(s.id() + ".png");
        if (!Files.exists(p)) p = predictions.resolve(s.id() + ".labels.png");
        if (!Files.exists(p)) throw new NoSuchFileException(predictions.resolve(s.id() + ".png") + " (nor " + s.id() + ".labels.png)");
        LabelMaps.Map m = LabelMaps.read(p);
        if (predictionsFormat.equals("dataset")) ds.convention().apply(m.values());
        return m;
    }

    private static void score(SegDataset ds, SegDataset.Sample s, LabelMaps.Map pred, ConfusionMatrix matrix) throws IOException {
        LabelMaps.Map gt = ds.groundTruth(s);
        if (gt.width() != pred.width() || gt.height() != pred.height()) {
            throw new IllegalArgumentException("prediction is " + pred.width() + "x" + pred.height() + ", the ground truth "
                    + gt.width() + "x" + gt.height());
        }
        matrix.add(gt.values(), pred.values());
    }

    interface SampleJob {
        void run(SegDataset.Sample s) throws Exception;
    }

    /** Runs every sample on {@code jobs} threads with a progress line; returns how many failed (each reported once). */
    private int run(List<SegDataset.Sample> samples, PrintWriter err, SampleJob job) throws InterruptedException {
        AtomicInteger done = new AtomicInteger(), failed = new AtomicInteger();
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, samples.size()), r -> {
            Thread t = new Thread(r, "eval");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (SegDataset.Sample s : samples) {
                futures.add(pool.submit(() -> {
                    try {
                        job.run(s);
                    } catch (Exception | OutOfMemoryError e) {
                        failed.incrementAndGet();
                        synchronized (err) {
                            err.println("error: " + s.id() + ": " + WeightsMain.describe(e));
                        }
                    }
                    int d = done.incrementAndGet();
                    synchronized (err) {
                        progress(err, d, samples.size(), start, s.id());
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return failed.get();
    }

    private static void progress(PrintWriter err, int done, int total, long startNanos, String id) {
        double elapsed = (System.nanoTime() - startNanos) / 1e9, eta = elapsed / done * (total - done);
        if (System.console() == null) {
            err.printf("eval: %d/%d %s  (%.1f s elapsed, ETA %.1f s)%n", done, total, id, elapsed, eta);
        } else {
            int width = 30, filled = (int) Math.round(width * (double) done / total);
            err.printf("\r[%s%s] %d/%d  %.1f s elapsed, ETA %.1f s%s", "#".repeat(filled), " ".repeat(width - filled), done, total,
                    elapsed, eta, done == total ? "\n" : "");
        }
        err.flush();
    }
}
