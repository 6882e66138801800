package dev.clipengine.cli;

import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.segment.Profile;
import dev.clipengine.segment.QueryVocabulary;
import dev.clipengine.segment.SlideOptions;
import dev.clipengine.segment.SlideSegmenter;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.segmentation.AtomicFiles;
import dev.clipengine.segmentation.LabelMapWriter;
import dev.clipengine.segmentation.OverlayRenderer;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.WeightsMain;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code segment} with a slide-protocol method: same inputs and outputs, maps at the original image size. */
final class SlideRun {

    private final SegmentCommand cmd;

    SlideRun(SegmentCommand cmd) {
        this.cmd = cmd;
    }

    Integer call() throws Exception {
        SlideOptions options = options(cmd);
        QueryVocabulary vocabulary = vocabulary(cmd.classSource, cmd.slide.profile());
        List<Path> inputs = SegmentCommand.expandImages(cmd.imageArguments());
        SegmentCommand.checkStems(inputs);
        Files.createDirectories(cmd.out);
        boolean upright = cmd.exif.apply();
        PrintWriter stdout = cmd.spec.commandLine().getOut(), stderr = cmd.spec.commandLine().getErr();
        List<Path> runnable = SegmentCommand.checkHeaders(inputs, stderr);   // before the model loads
        int failures = inputs.size() - runnable.size();
        if (runnable.isEmpty()) return ClipCli.EXIT_BAD_INPUT;
        boolean one = runnable.size() == 1;
        Progress steps = new Progress(stderr, "segment");
        try (ClipModel clip = cmd.model.load(steps)) {
            SlideSegmenter segmenter = new SlideSegmenter(clip, options);
            if (!one) {
                stderr.printf("segment: %d images, method %s, %d classes (%d names)%n", runnable.size(), options.method().cliName(),
                        vocabulary.classCount(), vocabulary.queries().size());
            }
            // computed (and cached) once here; the first image's "text" timing is this time, not the cache lookup
            long t0 = System.nanoTime();
            steps.step("computing text features (" + vocabulary.queries().size() + " names x " + options.templates().size()
                    + " templates)", () -> segmenter.textFeatures(vocabulary));
            double textMs = (System.nanoTime() - t0) / 1e6;
            long start = System.nanoTime();
            boolean textShown = false;   // by the first image written (one that fails shows nothing)
            for (int i = 0; i < runnable.size(); i++) {
                Path img = runnable.get(i);
                try {
                    RgbImage rgb = ImageDecoder.read(img, upright);
                    SlideSegmenter.Result r = one ? steps.step("segmenting " + img.getFileName() + " (" + rgb.width() + "x" + rgb.height()
                            + ")", () -> segmenter.segment(rgb, vocabulary)) : segmenter.segment(rgb, vocabulary);
                    Map<String, Double> timings = !textShown ? SegmentCommand.withTextTime(r.timingsMs(), textMs) : r.timingsMs();
                    String summary = one ? steps.step("writing " + SegmentCommand.stem(img) + ".* to " + cmd.out,
                            () -> write(img, rgb, r, options, timings)) : write(img, rgb, r, options, timings);
                    textShown = true;
                    if (cmd.json) stdout.println(summary);
                } catch (IOException | RuntimeException | OutOfMemoryError e) {
                    // one bad image (a decoder bug, an image too large for this heap) never abandons the rest
                    failures++;
                    stderr.println("error: " + (inputs.size() > 1 ? img + ": " : "") + WeightsMain.describe(e));
                }
                if (!one) SegmentCommand.progress(stderr, i + 1, runnable.size(), start, img);
            }
        }
        stdout.flush();
        stderr.flush();
        return failures == 0 ? 0 : ClipCli.EXIT_BAD_INPUT;
    }

    /** The slide options of a parsed {@code segment} command; CLIPtrase-only options are refused in one line. */
    static SlideOptions options(SegmentCommand cmd) throws IOException {
        List<String> cliptraseOnly = new ArrayList<>();
        if (cmd.eps != null) cliptraseOnly.add("--eps");
        if (cmd.minSamples != null) cliptraseOnly.add("--min-samples");
        if (cmd.clsReweight != null) cliptraseOnly.add("--cls-reweight");
        if (cmd.background != null) cliptraseOnly.add("--background (slide methods read background as class 0 of the name file)");
        if (!cliptraseOnly.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", cliptraseOnly) + " apply to --method cliptrase only");
        }
        return cmd.slide.resolve(cmd.protocol, cmd.encoding.image.size, cmd.encoding.image.interpolation(PositionalInterpolation.CLIPTRASE),
                cmd.encoding.templates());
    }

    /** --classes (one name per class), --vocabulary (bundled name file), --classes-file (synonym format), or the profile's. */
    static QueryVocabulary vocabulary(SegmentCommand.ClassSource source, Profile profile) throws IOException {
        if (source == null) {
            if (profile.vocabulary() == null) {
                throw new IllegalArgumentException("give the classes: --classes, --vocabulary, --classes-file or a --profile");
            }
            return QueryVocabulary.bundled(profile.vocabulary());
        }
        if (source.vocabulary != null) return QueryVocabulary.bundled(source.vocabulary);
        if (source.classesFile != null) return QueryVocabulary.read(source.classesFile);
        return QueryVocabulary.ofClasses("custom", Vocabulary.parse(source.classes, null).classes());
    }

    private String write(Path img, RgbImage rgb, SlideSegmenter.Result r, SlideOptions o, Map<String, Double> timings) throws IOException {
        String stem = SegmentCommand.stem(img);
        int w = r.width(), h = r.height(), classes = r.vocabulary().classCount();
        String[] names = new String[classes];
        for (int i = 0; i < classes; i++) names[i] = r.vocabulary().className(i);
        // the JSON is the stem's completion record: written last, and removed before the other files are
        // replaced, so a stem with a .json is complete even when an earlier run was killed half-way
        SegmentCommand.startStem(cmd.out, stem);
        LabelMapWriter.writePng(cmd.out.resolve(stem + ".labels.png"), r.labels(), w, h, names);
        OverlayRenderer.writePng(cmd.out.resolve(stem + ".overlay.png"), rgb.rgb(), w, h, r.labels(), names);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("image", img.toString());
        j.put("method", o.method().cliName());
        j.put("protocol", "slide");
        j.put("classes", List.of(names));
        j.put("queries", r.vocabulary().queries().size());
        j.put("width", w);
        j.put("height", h);
        j.put("resized", new int[] {r.resizedWidth(), r.resizedHeight()});
        j.put("crop", o.crop());
        j.put("stride", o.stride());
        j.put("windows", r.windows());
        j.put("logit_scale", o.logitScale());
        j.put("prob_thd", o.probThd());
        j.put("area_thd", o.areaThd());
        j.put("class_fractions", classFractions(r.labels(), names));
        j.put("timings_ms", timings);
        String text = Json.write(j);
        AtomicFiles.writeString(cmd.out.resolve(stem + ".json"), text + "\n");
        return text;
    }

    static Map<String, Double> classFractions(int[] labels, String[] names) {
        int[] counts = new int[names.length];
        for (int l : labels) counts[l]++;
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            if (counts[i] > 0) out.put(names[i] + (out.containsKey(names[i]) ? " (" + i + ")" : ""), counts[i] / (double) labels.length);
        }
        return out;
    }

    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
