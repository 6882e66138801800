package dev.clipengine.cli;

import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.kernels.Backends;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.model.RandomWeights;
import dev.clipengine.model.VisionRequest;
import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.Segmentation;
import dev.clipengine.segment.Segmenter;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.DType;
import dev.clipengine.weights.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Timing without JMH: medians of the image encoder and of the whole {@code segment} (text features cached, as when a
 * batch of images is segmented with one vocabulary). The JMH suite in the {@code jmh} module is the rigorous tool;
 * this is what a user runs to see what their machine does.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Times the image encoder and CLIPtrase segmentation (text features cached) and prints medians.",
                "With --random the weights are generated in memory (random values, real shapes): speed does not depend on them. "
                        + "Without --model or --random it times ViT-B/16, pulled into the cache on first use."},
        footerHeading = "%nEXAMPLES%n",
        footer = {
                "  java -jar engine.jar bench --random vit-b-16 --size 224 --repeat 15",
                "  java -jar engine.jar bench --model b16.safetensors --json",
                "  java -jar engine.jar bench --model ViT-B/16 --device cuda --size 448",
                "",
                "EXIT STATUS",
                "  0 on success; 2 on bad arguments or unusable input (one line on stderr)."})
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** --model (a file or a model name, default ViT-B/16), head counts and --device, as every command that runs the network. */
    @Mixin
    ModelOptions model;

    @Option(names = "--random", paramLabel = "ARCH", description = "Random weights of an architecture instead of --model: vit-b-16.")
    String random;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "T",
            description = "Storage of random weights: f32, f16 or bf16 (default ${DEFAULT-VALUE}).")
    String dtype;

    /** --size (default 224 here) and --pos-interp, as the other commands that encode images. */
    @Mixin
    SizeOptions sizing;

    @Option(names = "--repeat", defaultValue = "10", paramLabel = "N", description = "Timed runs of each part (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N", description = "Untimed runs first, for the JIT (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--image", paramLabel = "IMG", description = "Image to segment (default: a synthetic S×S picture).")
    Path image;

    @Option(names = "--skip-segment", description = "Time the image encoder only.")
    boolean skipSegment;

    @Option(names = "--json", description = "Print {\"image_encoder_s\":…,\"segment_s\":…,\"gflops\":…, …}.")
    boolean json;

    @Option(names = "--cold", description = {"Time new JVMs instead: the first `segment` of one image with an empty user "
            + "cache, the next ones (cache filled), and the warm per-image time, with wall, CPU and peak RSS "
            + "(docs/command-line.md). --size is passed on only when given."})
    boolean cold;

    @Option(names = "--jvm-option", paramLabel = "OPT", parameterConsumer = ColdBench.JvmOption.class,
            description = "With --cold: a JVM option for every run (repeatable), e.g. --jvm-option -Xmx256m.")
    List<String> jvmOptions = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (repeat < 1) throw new IllegalArgumentException("--repeat must be at least 1, got " + repeat);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must not be negative, got " + warmup);
        if (random != null && model.model != null) {
            throw new IllegalArgumentException("--model and --random exclude each other: time a model's weights or random ones");
        }
        int size = sizing.size(224);
        PrintWriter out = spec.commandLine().getOut();
        if (cold) return ColdBench.bench(this, out);
        try (ClipModel clip = load()) {
            clip.checkImageSize(size);
            RgbImage picture = image != null ? ImageDecoder.read(image) : RandomWeights.syntheticScene(size);
            float[] pixels = dev.clipengine.image.ClipPreprocess.clipPixels(picture, size);
            Runnable encoder = () -> clip.vision().forward(pixels, size, size,
                    VisionRequest.clip(sizing.interpolation(PositionalInterpolation.BICUBIC)));
            Vocabulary vocabulary = Vocabulary.parse("road, sky, tree, building, car, person", null);
            SegmentOptions options = SegmentOptions.defaults().withSize(size);
            Segmenter segmenter = new Segmenter(clip, new SegmentOptions(options.size(), options.protocol(), null,
                    null, null, options.denoise(), sizing.interpolation(options.posInterp()), List.of("a photo of a {}.")));
            if (!skipSegment) segmenter.textFeatures(vocabulary); // cached: the timed runs measure the image side only

            for (int i = 0; i < warmup; i++) {
                encoder.run();
                if (!skipSegment) segmenter.segment(picture, vocabulary);
            }
            // Encoder and segment runs alternate, so that both see the same machine: on a shared VM the speed of the
            // cores drifts by 10-30 % over a minute, which would otherwise read as a difference between the two.
            double[] encoderTimes = new double[repeat], segmentTimes = new double[repeat];
            Map<String, double[]> parts = new LinkedHashMap<>();
            long encoderCpu = 0;
            for (int i = 0; i < repeat; i++) {
                long cpu0 = processCpuNanos(), t0 = System.nanoTime();
                encoder.run();
                encoderTimes[i] = (System.nanoTime() - t0) / 1e9;
                encoderCpu += processCpuNanos() - cpu0;
                if (!skipSegment) segmentTimes[i] = timeSegment(segmenter, vocabulary, picture, parts, i);
            }
            double encoderS = median(encoderTimes);

            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", random != null ? "random " + random + " " + dtype.toUpperCase(Locale.ROOT) : clip.describe());
            r.put("size", size);
            r.put("device", clip.backend().name());
            r.put("threads", Backends.cpuThreads());
            r.put("image_encoder_s", round(encoderS));
            // CPU seconds (all threads) per encoder run: unlike wall time, barely moved by other processes sharing
            // the cores, so it is the figure to compare builds with on a busy machine
            r.put("image_encoder_cpu_s", round(encoderCpu / 1e9 / repeat));
            double gflop = clip.config().imageEncoderFlops(size) / 1e9;
            r.put("gflop", round(gflop));
            r.put("gflops", round(gflop / encoderS));
            if (!skipSegment) {
                r.put("segment_s", round(median(segmentTimes)));
                Map<String, Double> breakdown = new LinkedHashMap<>();
                parts.forEach((k, v) -> breakdown.put(k + "_s", round(median(v))));
                r.put("segment_breakdown", breakdown);
            }
            r.put("peak_rss_mb", peakRssMb());
            r.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
            if (json) {
                out.println(Json.write(r));
            } else {
                r.forEach((k, v) -> out.println(k + ": " + (v instanceof Map<?, ?> ? Json.write(v) : v)));
            }
        }
        out.flush();
        return 0;
    }

    private ClipModel load() throws IOException {
        if (random != null) {
            ClipConfig config = RandomWeights.architecture(random);
            DType d = DType.parseIgnoringCase(dtype);
            if (d == null || !(d == DType.F32 || d == DType.F16 || d == DType.BF16)) {
                throw new IllegalArgumentException("--dtype must be f32, f16 or bf16, got '" + dtype + "'");
            }
            return RandomWeights.load(config, d, 1,
                    DeviceOption.open(model.deviceOption.select(spec.commandLine().getErr()), model.headOptions.counts()));
        }
        return model.load(new Progress(spec.commandLine().getErr(), "bench"));
    }

    /** Wall seconds of one whole segmentation; the pipeline's own per-stage timings go to {@code parts[...][run]}. */
    private double timeSegment(Segmenter segmenter, Vocabulary vocabulary, RgbImage picture, Map<String, double[]> parts,
                               int run) {
        long t0 = System.nanoTime();
        Segmentation s = segmenter.segment(picture, vocabulary);
        double seconds = (System.nanoTime() - t0) / 1e9;
        for (Map.Entry<String, Double> e : s.timingsMs().entrySet()) {
            if (e.getKey().equals("text") || e.getKey().equals("total")) continue;
            parts.computeIfAbsent(e.getKey(), k -> new double[repeat])[run] = e.getValue() / 1e3;
        }
        return seconds;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    /** CPU time of this process so far (all threads), or 0 where the JVM cannot tell. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getProcessCpuTime());
        }
        return 0;
    }

    /** Peak resident set of this process (VmHWM) in MiB, or -1 where /proc is not available. */
    static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
