package dev.clipengine.cli;

import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.segment.Method;
import dev.clipengine.segment.MethodOptions;
import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.SegmentResult;
import dev.clipengine.segment.SegmentationMethod;
import dev.clipengine.segment.SlideOptions;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.segmentation.AtomicFiles;
import dev.clipengine.segmentation.LabelMapWriter;
import dev.clipengine.segmentation.OverlayRenderer;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.WeightsMain;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "segment", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Open-vocabulary semantic segmentation with CLIPtrase or another training-free method: every pixel gets one of the given classes.",
                "",
                "For each image IMG it writes DIR/<stem>.labels.png (pixel value = class index: an indexed PNG whose palette "
                        + "is the overlay's class colours for up to 256 labels, else 16-bit grey; with background words, index C = background), DIR/<stem>.overlay.png (the image with "
                        + "translucent class colours and a legend) and DIR/<stem>.json (classes, the map's and the image's size, where the "
                        + "map lies on the image, windows, clusters, noise patches, class fractions, timings). Text features are computed once for the whole batch.",
                "",
                "The map covers the whole image at its original size (--protocol full); the JSON gives the image's size, the "
                        + "map's place on it and the windows a long image was computed in. --protocol cliptrase maps the reference's "
                        + "SxS centre crop instead.",
                "",
                "Other defaults follow the reference code: --size 336 with DBSCAN eps 1.1 / min-samples 7 (224: 0.7 / 3), "
                        + "CLIPtrase's positional interpolation, the 80 ImageNet prompt templates, CLS-row denoising.",
                "",
                "--method vanilla|maskclip|maskclip-reduced|sclip|clearclip|naclip|scclip|resclip runs the slide protocol of the SCLIP/NACLIP/ClearCLIP "
                        + "code: short side to --size (long side <= 2048) with OpenCV's bilinear, windows of --crop with --stride "
                        + "(--crop 0: whole image), averaged window logits, softmax with --logit-scale over all names, max over each "
                        + "class's synonyms, --area-thd, --prob-thd -> class 0. --profile NAME (e.g. sclip-voc21, naclip-ade, "
                        + "clearclip-city, scclip-ade, resclip-voc21) sets all of these as the repository does for that dataset "
                        + "(ResCLIP's temp_thd, RCS and SFR included); explicit options win. --pamr refines the logits with PAMR first. "
                        + "Label maps are at the original image size.",
                "",
                "Classes, the same for every method: --classes \"road, car|automobile, sky\" (classes separated by commas, a "
                        + "class's synonyms by |; a class scores the best of its names; the first is its display name). "
                        + "--classes-file: one class per line, its synonyms separated by commas, '#' comments and blank lines "
                        + "skipped. --vocabulary: any bundled list with any method. --background: words scored like classes "
                        + "that all map to one extra label, background."},
        footerHeading = "%nEXAMPLES%n",
        footer = {
                "  java -jar engine.jar segment --model ViT-B/16 street.jpg \\",
                "      --classes \"road, car, tree, sky, person\" --out out/",
                "  java -jar engine.jar segment --model ViT-B/16 photos/ a.jpg b.jpg \\",
                "      --vocabulary VOC20 --out out/",
                "  java -jar engine.jar segment --model ViT-B/16 --image scan.png \\",
                "      --classes \"road, car\" --no-exif --out out/",
                "  java -jar engine.jar segment --model ViT-B/16 --image street.jpg \\",
                "      --method naclip --profile naclip-city --out out/",
                "",
                "EXIT STATUS",
                "  0 when every image was segmented; 2 on bad arguments or unusable input",
                "  (one line on stderr), and when any image of a batch failed (one line",
                "  each; the other images are still written)."})
final class SegmentCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Parameters(paramLabel = "IMG", arity = "0..*",
            description = "Images (PNG, JPEG, BMP, GIF, TIFF) or folders of them (by extension).")
    List<Path> imageArgs;

    // up to the next option-like argument: a typo after the images is an unknown option, not an image
    @Option(names = "--image", arity = "1..*", paramLabel = "IMG", parameterConsumer = UpToNextOption.class,
            description = "The same, as an option: images or folders up to the next option; repeat or list several.")
    List<Path> images;

    static final class ClassSource {
        @Option(names = "--classes", paramLabel = "\"road,car|auto,sky\"",
                description = "Classes separated by commas; a class's synonyms separated by |.")
        String classes;

        @Option(names = "--vocabulary", paramLabel = "NAME",
                description = "A bundled vocabulary, with any method: the CLIPtrase reference's lists VOC20, VOC21, COCO80, COCO171, "
                        + "PC59, PC60, PC459, ADE150, ADEFULL and the SCLIP/NACLIP name files voc21, voc20, pc60, pc59, object, "
                        + "stuff, city, ade, and camvid (default: the --profile's dataset). A name both have (voc21, pc60, …) "
                        + "is the method's own reference's list.")
        String vocabulary;

        @Option(names = "--classes-file", paramLabel = "FILE",
                description = "One class per line, its synonyms separated by commas ('#' comments and blank lines skipped): "
                        + "the SCLIP name-file format.")
        Path classesFile;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    ClassSource classSource;

    @Mixin
    SlideProtocolOptions slide;

    @Mixin
    SeedHeadOptions seedHead;

    @Option(names = "--background", paramLabel = "\"sky,wall,…\"",
            description = "Background words, scored like classes and collapsed into one label C (default: the vocabulary's list, none for --classes).")
    String background;

    /** --size, --pos-interp, --templates (shared with eval). */
    @Mixin
    EncodingOptions encoding;

    @Option(names = "--protocol", paramLabel = "P",
            description = "full (default for --method cliptrase): the whole image at its own resolution, short side to S on a grid "
                    + "that follows the aspect ratio, in overlapping windows along the long side where it exceeds 1024 px. "
                    + "cliptrase: the reference's SxS centre crop, maps at SxS (to reproduce its numbers). "
                    + "slide: the other methods' protocol (their default). See docs/protocols.md.")
    String protocol;

    @Option(names = "--eps", paramLabel = "E", description = "DBSCAN radius (default 1.1 at 336, 0.7 at 224).")
    Double eps;

    @Option(names = "--min-samples", paramLabel = "N", description = "DBSCAN core-point threshold (default 7 at 336, 3 at 224).")
    Integer minSamples;

    @Option(names = "--cls-reweight", negatable = true,
            description = "Weight each class by its CLS-token logit (the reference does this for VOC20 only; default: on for --vocabulary VOC20).")
    Boolean clsReweight;

    @Option(names = "--denoise", defaultValue = "cls-row", paramLabel = "MODE",
            description = "cls-row (the reference code) or self-weight (the paper's Eq. 7, as interpreted here).")
    String denoise;

    @Mixin
    ExifOption exif;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (created if missing).")
    Path out;

    @Option(names = "--json", description = "Also print each image's JSON summary on stdout, one line per image.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        requireFolder(out, "--out");
        boolean upright = exif.apply();
        // the seed heads run their own checkpoints, not a CLIP model (docs/seed-heads.md)
        if (SeedHeadOptions.isSeedHead(slide.method)) return new SeedHeadRun(this).call();
        List<Path> given = imageArguments();
        MethodOptions options = methodOptions();
        Vocabulary vocabulary = vocabulary();
        List<Path> inputs = expandImages(given);
        checkStems(inputs);
        Files.createDirectories(out);
        PrintWriter stdout = spec.commandLine().getOut(), stderr = spec.commandLine().getErr();
        List<Path> runnable = checkHeaders(inputs, stderr);
        int failures = inputs.size() - runnable.size();
        if (runnable.isEmpty()) return ClipCli.EXIT_BAD_INPUT;   // every image refused: no model to load
        boolean one = runnable.size() == 1;
        Progress steps = new Progress(stderr, "segment");
        try (ClipModel clip = model.load(steps)) {
            SegmentationMethod method = options.create(clip);
            if (!one) stderr.printf("segment: %d images, method %s, %d classes (%d names)%s%n", runnable.size(),
                    options.method().cliName(), vocabulary.classCount(), vocabulary.textRows().size() - vocabulary.background().size(),
                    vocabulary.hasBackground() ? " + " + vocabulary.background().size() + " background words" : "");
            // once for the batch, before the first image: its time is the first image's "text" timing, where
            // a cached lookup would otherwise show a few milliseconds for what took most of a short run
            long t0 = System.nanoTime();
            float[][] text = steps.step("computing text features (" + vocabulary.textRows().size() + " names x "
                    + options.templates().size() + " templates)", () -> method.textFeatures(vocabulary));
            double textMs = (System.nanoTime() - t0) / 1e6;
            long start = System.nanoTime();
            boolean textShown = false;   // by the first image written (one that fails shows nothing)
            for (int i = 0; i < runnable.size(); i++) {
                Path img = runnable.get(i);
                try {
                    RgbImage rgb = ImageDecoder.read(img, upright);
                    SegmentResult s = one ? steps.step("segmenting " + img.getFileName() + " (" + rgb.width() + "x" + rgb.height() + ")",
                            () -> method.segment(rgb, vocabulary, text)) : method.segment(rgb, vocabulary, text);
                    Map<String, Double> timings = !textShown ? withTextTime(s.timingsMs(), textMs) : s.timingsMs();
                    String summary = one ? steps.step("writing " + stem(img) + ".* to " + out, () -> write(img, s, options.method().cliName(), timings))
                            : write(img, s, options.method().cliName(), timings);
                    textShown = true;
                    if (json) stdout.println(summary);
                } catch (IOException | RuntimeException | OutOfMemoryError e) {
                    // one bad image (a decoder bug, an image too large for this heap) never abandons the rest
                    failures++;
                    stderr.println("error: " + (inputs.size() > 1 ? img + ": " : "") + WeightsMain.describe(e));
                }
                if (!one) progress(stderr, i + 1, runnable.size(), start, img);
            }
        }
        stdout.flush();
        stderr.flush();
        return failures == 0 ? 0 : ClipCli.EXIT_BAD_INPUT;
    }

    /** The images given as arguments and with {@code --image}, in that order; at least one. */
    List<Path> imageArguments() {
        List<Path> all = new ArrayList<>();
        if (imageArgs != null) all.addAll(imageArgs);
        if (images != null) all.addAll(images);
        if (all.isEmpty()) throw new IllegalArgumentException("give the images to segment: segment IMG... --classes ... --out DIR");
        return all;
    }

    /**
     * Every input's file and header checked before the model loads (issue 18 finding 11): a decompression
     * bomb, an absurd size or a broken file costs milliseconds, not a model load. With one input its fault
     * is the run's error (thrown, one line); in a batch each bad input is said in one line and left out,
     * and the others run.
     */
    static List<Path> checkHeaders(List<Path> inputs, PrintWriter err) throws IOException {
        if (inputs.size() == 1) {
            ImageDecoder.checkHeader(inputs.get(0));
            return inputs;
        }
        List<Path> ok = new ArrayList<>();
        for (Path p : inputs) {
            try {
                ImageDecoder.checkHeader(p);
                ok.add(p);
            } catch (IOException | RuntimeException e) {
                String why = WeightsMain.describe(e);
                err.println("error: " + (why.contains(p.toString()) ? "" : p + ": ") + why);
            }
        }
        err.flush();
        return ok;
    }

    /**
     * {@code timings} with {@code text} set to the time the text features took where they were computed
     * (before the batch's first image) and {@code total} grown by the difference.
     */
    static Map<String, Double> withTextTime(Map<String, Double> timings, double textMs) {
        Map<String, Double> m = new LinkedHashMap<>(timings);
        double old = m.getOrDefault("text", 0.0), text = Math.round(textMs * 100) / 100.0;
        m.put("text", text);
        m.computeIfPresent("total", (k, v) -> Math.round((v - old + text) * 100) / 100.0);
        return m;
    }

    /**
     * The method and its options, as {@code --method}, {@code --profile} and the protocol options resolve them;
     * options of another method's protocol are refused in one line rather than ignored.
     */
    MethodOptions methodOptions() throws IOException {
        if (slide.isSlide(protocol)) return slideOptions();
        slide.refuseSlideOptions();
        return options();
    }

    /** The slide options of this command; CLIPtrase-only options are refused in one line. */
    SlideOptions slideOptions() throws IOException {
        List<String> cliptraseOnly = new ArrayList<>();
        if (eps != null) cliptraseOnly.add("--eps");
        if (minSamples != null) cliptraseOnly.add("--min-samples");
        if (clsReweight != null) cliptraseOnly.add("--cls-reweight");
        if (!cliptraseOnly.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", cliptraseOnly) + " apply to --method cliptrase only");
        }
        return slide.resolve(protocol, encoding.image.size, encoding.image.interpolation(PositionalInterpolation.CLIPTRASE),
                encoding.templates());
    }

    /** CLIPtrase's options ({@code --method cliptrase}). */
    SegmentOptions options() throws IOException {
        // the whole image by default (issue 18): the reference's centre crop is for reproducing its numbers
        SegmentOptions.Protocol p = switch (protocol == null ? "full" : protocol.toLowerCase(Locale.ROOT)) {
            case "cliptrase" -> SegmentOptions.Protocol.CLIPTRASE;
            case "full" -> SegmentOptions.Protocol.FULL;
            default -> throw new IllegalArgumentException("unknown --protocol '" + protocol + "' (expected cliptrase, full, or slide with a --method other than cliptrase)");
        };
        SegmentOptions.DenoiseMode d = switch (denoise.toLowerCase(Locale.ROOT)) {
            case "cls-row" -> SegmentOptions.DenoiseMode.CLS_ROW;
            case "self-weight" -> SegmentOptions.DenoiseMode.SELF_WEIGHT;
            default -> throw new IllegalArgumentException("unknown --denoise '" + denoise + "' (expected cls-row or self-weight)");
        };
        return new SegmentOptions(encoding.image.size(336), p, eps, minSamples, clsReweight, d,
                encoding.image.interpolation(PositionalInterpolation.CLIPTRASE), encoding.templates());
    }

    /**
     * The classes, one syntax for every method (docs/pipeline.md "Vocabulary"): {@code --classes},
     * {@code --vocabulary} (the method's own list of that name first), {@code --classes-file}, or the {@code --profile}'s
     * dataset; {@code --background} replaces the background words.
     */
    Vocabulary vocabulary() throws IOException {
        Method m = slide.method();
        Vocabulary v;
        if (classSource == null) {
            String fromProfile = m == Method.CLIPTRASE ? null : slide.profile().vocabulary();
            if (fromProfile == null) {
                throw new IllegalArgumentException("give the classes: --classes, --vocabulary or --classes-file"
                        + (m == Method.CLIPTRASE ? "" : " or a --profile"));
            }
            v = Vocabulary.named(fromProfile, m);
        } else if (classSource.vocabulary != null) {
            v = Vocabulary.named(classSource.vocabulary, m);
        } else if (classSource.classesFile != null) {
            v = Vocabulary.read(classSource.classesFile);
        } else {
            return Vocabulary.parse(classSource.classes, background);
        }
        return background == null ? v : v.withBackground(Vocabulary.backgroundWords(background));
    }

    /**
     * Refuses, before any work, an output folder option that names something other than a folder (an
     * existing file would otherwise surface as a bare FileAlreadyExistsException from createDirectories).
     */
    static void requireFolder(Path dir, String option) {
        if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(option + " " + dir + ": exists and is not a folder (name a folder; it is created if missing)");
        }
    }

    static List<Path> expandImages(List<Path> args) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : args) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> files = Files.list(p)) {
                    List<Path> found = files.filter(f -> Files.isRegularFile(f) && isImageName(f)).sorted().toList();
                    if (found.isEmpty()) throw new IllegalArgumentException(p + ": folder holds no .png/.jpg/.jpeg/.bmp/.gif/.tif/.tiff images");
                    out.addAll(found);
                }
            } else {
                out.add(p);
            }
        }
        return out;
    }

    private static boolean isImageName(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        // the formats ImageDecoder reads (TIFF included: a TIFF given directly works, so a folder takes it too)
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp") || n.endsWith(".gif")
                || n.endsWith(".tif") || n.endsWith(".tiff");
    }

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** Two inputs with one stem would overwrite each other's outputs: refuse before doing any work. */
    static void checkStems(List<Path> inputs) {
        Map<String, Path> seen = new HashMap<>();
        for (Path p : inputs) {
            Path other = seen.put(stem(p), p);
            if (other != null) {
                throw new IllegalArgumentException("inputs " + other + " and " + p + " would both write " + stem(p) + ".*; rename one");
            }
        }
    }

    /** Removes {@code stem}'s completion record (its JSON) before its outputs are rewritten. */
    static void startStem(Path out, String stem) throws IOException {
        Path record = out.resolve(stem + ".json");
        AtomicFiles.refuseNonRegular(record);
        Files.deleteIfExists(record);
    }

    /** Writes one image's labels, overlay and JSON record (also the seed heads', {@link SeedHeadRun}). */
    String write(Path img, SegmentResult s, String method, Map<String, Double> timings) throws IOException {
        String stem = stem(img);
        int w = s.width(), h = s.height();
        String[] names = s.labelNames();
        // the JSON is the stem's completion record: written last, and removed before the other files are
        // replaced, so a stem with a .json is complete even when an earlier run was killed half-way
        SegmentCommand.startStem(out, stem);
        LabelMapWriter.writePng(out.resolve(stem + ".labels.png"), s.labels(), w, h, names);
        OverlayRenderer.writePng(out.resolve(stem + ".overlay.png"), s.image().rgb(), w, h, s.labels(), names);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("image", img.toString());
        j.put("method", method);
        j.put("classes", List.of(names));
        j.put("width", w);
        j.put("height", h);
        j.putAll(s.details());
        j.put("class_fractions", s.classFractions());
        j.put("timings_ms", timings);
        String text = Json.write(j);
        AtomicFiles.writeString(out.resolve(stem + ".json"), text + "\n");
        return text;
    }

    /** A redrawn bar on a terminal; one plain line per image when stderr goes to a file or a pipe. */
    static void progress(PrintWriter err, int done, int total, long startNanos, Path image) {
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        double eta = elapsed / done * (total - done);
        if (!Progress.stderrIsTerminal()) {
            err.printf("segment: %d/%d %s  (%.1f s elapsed, ETA %.1f s)%n", done, total, image.getFileName(), elapsed, eta);
            err.flush();
            return;
        }
        int width = 30, filled = (int) Math.round(width * (double) done / total);
        err.printf("\r[%s%s] %d/%d  %.1f s elapsed, ETA %.1f s%s", "#".repeat(filled), " ".repeat(width - filled),
                done, total, elapsed, eta, done == total ? "\n" : "");
        err.flush();
    }
}
