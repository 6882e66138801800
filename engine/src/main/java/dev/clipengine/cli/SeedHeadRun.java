package dev.clipengine.cli;

import dev.clipengine.device.BackendSelector;
import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.heads.SeedHeadMethod;
import dev.clipengine.kernels.Backend;
import dev.clipengine.segment.SeedMethodOptions;
import dev.clipengine.segment.SegmentResult;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.weights.WeightsMain;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code segment --method reclip++|zegclip|tagclip}: the seed heads from the user's own checkpoint
 * (docs/seed-heads.md). Each image becomes the pipeline's {@link SegmentResult} and is written by
 * {@link SegmentCommand#write} like every other method's: {@code DIR/<stem>.labels.png} (class index per pixel, at
 * the original size), the overlay and the JSON record. The head is the engine's {@link SeedHeadMethod}, the same
 * code path {@code eval} runs; it is opened from its own checkpoint rather than created on a loaded CLIP.
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
        boolean reclip = method.equals("reclip++");
        refuseForeignOptions(reclip);
        if (cmd.classSource == null || cmd.classSource.classes == null) {
            throw new IllegalArgumentException("--method " + method + " needs --classes \"a,b,...\": the class names in the checkpoint's order");
        }
        Vocabulary vocabulary = Vocabulary.parse(cmd.classSource.classes, null);
        if (vocabulary.hasSynonyms()) {
            throw new IllegalArgumentException("--method " + method + ": a checkpoint's classes are one name each (its text rows), no '|' synonyms");
        }
        boolean upright = cmd.exif.apply();
        List<Path> inputs = SegmentCommand.expandImages(cmd.imageArguments());
        SegmentCommand.checkStems(inputs);
        PrintWriter stdout = cmd.spec.commandLine().getOut(), stderr = cmd.spec.commandLine().getErr();
        List<Path> runnable = SegmentCommand.checkHeaders(inputs, stderr);
        int failures = inputs.size() - runnable.size();
        if (runnable.isEmpty()) return ClipCli.EXIT_BAD_INPUT;
        Files.createDirectories(cmd.out);
        SeedMethodOptions options = cmd.seedHead.resolve(method, cmd.model.model, cmd.encoding.image.size, cmd.slide.crop, cmd.slide.stride,
                cmd.model.headOptions.counts());
        BackendSelector.Selection selection = cmd.model.deviceOption.select(stderr);
        Backend backend = BackendSelector.open(selection);
        Progress steps = new Progress(stderr, "segment");
        try (SeedHeadMethod head = steps.step("loading the " + (reclip ? "ReCLIP++" : method) + " checkpoint " + options.checkpoint().getFileName(),
                () -> options.open(backend))) {
            // the class list fixes the text features: computed (and checked against the checkpoint) once, before any image
            // said always, not only when slow: recomputed rows are fp32 and need not match the released (fp16) ones
            if (options.classEmbeddings() == null) {
                stderr.println("segment: no --class-embeddings: " + (reclip
                        ? "recomputing the zero-shot weights with the checkpoint's text tower (85 templates, fp32; the released ones are fp16)"
                        : "computing \"a photo of a {name}\" with the checkpoint's text encoder"));
            }
            float[][] text = steps.step("computing the class text features", () -> head.textFeatures(vocabulary));
            for (Path img : runnable) {
                try {
                    RgbImage rgb = ImageDecoder.read(img, upright);
                    SegmentResult s = steps.step("segmenting " + img.getFileName() + " (" + rgb.width() + "x" + rgb.height() + ")",
                            () -> head.segment(rgb, vocabulary, text));
                    String summary = cmd.write(img, s, method, s.timingsMs());
                    if (cmd.json) stdout.println(summary);
                } catch (IOException | RuntimeException | OutOfMemoryError e) {
                    failures++;
                    stderr.println("error: " + (inputs.size() > 1 ? img + ": " : "") + WeightsMain.describe(e));
                }
            }
        } finally {
            if (selection.cuda()) backend.close();
        }
        stdout.flush();
        stderr.flush();
        return failures == 0 ? 0 : ClipCli.EXIT_BAD_INPUT;
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
