package dev.clipengine.cli;

import dev.clipengine.weights.Json;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench --cold}: what a user who runs {@code segment} once waits for, against what each image costs once the
 * JVM is warm (docs/command-line.md "bench --cold"). Every cold run is a new {@code java -jar engine.jar segment} of
 * one image, launcher and all, measured like {@code /usr/bin/time} ({@link ChildUsage}):
 * <ol>
 * <li>the first run, with an empty user cache (a fresh temporary {@code CLIP_ENGINE_CACHE}): what a first-time user
 *     waits for;</li>
 * <li>{@value #CACHED_RUNS} more runs with the same classes, the cache now filled by the first (medians);</li>
 * <li>one warm run: a single {@code segment} of {@code warmup + repeat} copies of the image, whose per-image
 *     {@code timings_ms.total} (network and post-processing, text features already computed) after the warm-up
 *     images give the warm median.</li>
 * </ol>
 * The children get the user's environment except the text-cache switches (the defaults are what is measured; JVM
 * options such as {@code -Dclipengine.textCache=off} or {@code -Xmx256m} are passed with {@code --jvm-option}).
 */
final class ColdBench {

    static final int CACHED_RUNS = 3;
    static final String CLASSES = "road,sky,tree,building,car,person";

    /** How to run: the jar, the JVM, and what {@code segment} is given. */
    record Request(Path jar, String java, List<String> jvmOptions, Path model, Path image, Integer size, int warmup,
                   int repeat) {
    }

    /** Medians of the cold runs, in seconds and MiB. */
    record Cold(double wallSeconds, double cpuSeconds, long peakRssMb) {
    }

    record Report(Cold first, Cold cached, double warmImageSeconds, int warmImages) {
        double firstOverWarm() {
            return first.wallSeconds() / warmImageSeconds;
        }

        double cachedOverWarm() {
            return cached.wallSeconds() / warmImageSeconds;
        }
    }

    private ColdBench() {
    }

    /** {@code --jvm-option -Xmx256m}: the next argument is the value even though it starts with '-'. */
    public static final class JvmOption implements picocli.CommandLine.IParameterConsumer {
        @Override
        @SuppressWarnings("unchecked")
        public void consumeParameters(java.util.Stack<String> args, picocli.CommandLine.Model.ArgSpec argSpec,
                                      picocli.CommandLine.Model.CommandSpec commandSpec) {
            if (args.isEmpty()) {
                throw new picocli.CommandLine.ParameterException(commandSpec.commandLine(), "option '--jvm-option' needs a value");
            }
            List<String> values = new ArrayList<>((List<String>) argSpec.getValue());
            values.add(args.pop());
            argSpec.setValue(values);
        }
    }

    /** {@code bench --cold}: runs with the bench command's options and prints the report; the exit code. */
    static int bench(BenchCommand b, java.io.PrintWriter out) throws IOException, InterruptedException {
        Path jar = ownJar();
        if (jar == null) throw new IllegalArgumentException("bench --cold starts the jar itself: run it as java -jar engine.jar bench --cold");
        Integer size = b.spec.commandLine().getParseResult().hasMatchedOption("--size") ? b.sizing.size(224) : null;
        Path random = null;
        try {
            Path model;
            if (b.random != null && b.model.model != null) {
                throw new IllegalArgumentException("--model and --random exclude each other: time a model's weights or random ones");
            }
            if (b.random != null) {
                dev.clipengine.weights.DType d = dev.clipengine.weights.DType.parseIgnoringCase(b.dtype);
                if (d == null || !(d == dev.clipengine.weights.DType.F32 || d == dev.clipengine.weights.DType.F16
                        || d == dev.clipengine.weights.DType.BF16)) {
                    throw new IllegalArgumentException("--dtype must be f32, f16 or bf16, got '" + b.dtype + "'");
                }
                var config = dev.clipengine.model.RandomWeights.architecture(b.random);
                random = Files.createTempFile("clip-cold-random-", ".safetensors");
                dev.clipengine.model.RandomWeights.write(random, config, d, 1);
                model = random;
            } else {
                // a file, or a model name (ViT-B/16 when none is given) taken from the cache, pulled when missing
                model = b.model.resolve(b.spec.commandLine().getErr());
            }
            Path image = b.image;
            Path scene = null;
            if (image == null) {
                scene = Files.createTempFile("clip-cold-scene-", ".png");
                writePng(dev.clipengine.model.RandomWeights.syntheticScene(size != null ? size : 336), scene);
                image = scene;
            } else if (!Files.isRegularFile(image)) {
                throw new java.nio.file.NoSuchFileException(image.toString());
            }
            try {
                Request q = new Request(jar, javaCommand(), List.copyOf(b.jvmOptions), model, image, size, b.warmup, b.repeat);
                Report r = run(q);
                out.print(b.json ? json(q, r) + "\n" : toText(q, r));
            } finally {
                if (scene != null) Files.deleteIfExists(scene);
            }
        } finally {
            if (random != null) Files.deleteIfExists(random);
        }
        out.flush();
        return 0;
    }

    /** The jar this class was loaded from, or null when it runs from a class folder (tests, an IDE). */
    static Path ownJar() {
        try {
            Path p = Path.of(ColdBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? p : null;
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** The java executable running this JVM (a user's {@code java -jar} runs the same one). */
    static String javaCommand() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void writePng(dev.clipengine.image.RgbImage img, Path file) throws IOException {
        var bi = new java.awt.image.BufferedImage(img.width(), img.height(), java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) bi.setRGB(x, y, img.get(x, y, 0) << 16 | img.get(x, y, 1) << 8 | img.get(x, y, 2));
        }
        if (!javax.imageio.ImageIO.write(bi, "png", file.toFile())) throw new IOException("no PNG writer");
    }

    static Report run(Request r) throws IOException, InterruptedException {
        Path tmp = Files.createTempDirectory("clip-cold-");
        try {
            Path cache = tmp.resolve("cache"), out = tmp.resolve("out");
            Run first = segment(r, tmp, cache, out, List.of(r.image().toString()), "first");
            List<Run> cached = new ArrayList<>();
            for (int i = 0; i < CACHED_RUNS; i++) cached.add(segment(r, tmp, cache, out, List.of(r.image().toString()), "cached-" + i));

            Path warmDir = Files.createDirectories(tmp.resolve("warm"));
            String file = r.image().getFileName().toString();
            String ext = file.lastIndexOf('.') > 0 ? file.substring(file.lastIndexOf('.')) : "";
            List<String> copies = new ArrayList<>();
            for (int i = 0; i < r.warmup() + r.repeat(); i++) {
                Path c = warmDir.resolve(String.format("image-%03d%s", i, ext));
                Files.copy(r.image(), c);
                copies.add(c.toString());
            }
            Run warm = segment(r, tmp, cache, out, copies, "warm");
            double[] totals = warmTotals(Files.readString(warm.stdout()), r.warmup(), r.repeat());
            return new Report(cold(List.of(first)), cold(cached), median(totals), totals.length);
        } finally {
            deleteTree(tmp);
        }
    }

    private record Run(ChildUsage.Run usage, Path stdout) {
    }

    private static Run segment(Request r, Path tmp, Path cache, Path out, List<String> images, String name)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(r.java());
        cmd.addAll(r.jvmOptions());
        cmd.addAll(List.of("-jar", r.jar().toString(), "segment", "--model", r.model().toString(),
                "--classes", CLASSES, "--out", out.toString(), "--json"));
        if (r.size() != null) cmd.addAll(List.of("--size", r.size().toString()));
        cmd.add("--image");
        cmd.addAll(images);
        Path stdout = tmp.resolve(name + ".out"), stderr = tmp.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        if (Files.exists(Path.of("/dev/null"))) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("CLIP_ENGINE_CACHE", cache.toString());
        pb.environment().remove("CLIP_ENGINE_TEXT_CACHE");
        pb.environment().remove("CLIP_ENGINE_TEXT_CACHE_MB");
        ChildUsage.Run u = ChildUsage.measure(pb);
        if (u.exitCode() != 0) {
            List<String> lines = Files.readAllLines(stderr);
            String last = lines.stream().filter(l -> l.startsWith("error")).findFirst()
                    .orElse(lines.isEmpty() ? "no message" : lines.getLast());
            throw new IllegalStateException("the " + name + " segment run exited with " + u.exitCode() + ": " + last);
        }
        return new Run(u, stdout);
    }

    /** The per-image totals of the warm run after its warm-up images, in seconds. */
    static double[] warmTotals(String jsonLines, int warmup, int repeat) {
        List<String> lines = jsonLines.lines().filter(l -> l.startsWith("{")).toList();
        if (lines.size() != warmup + repeat) {
            throw new IllegalStateException("the warm run segmented " + lines.size() + " of " + (warmup + repeat) + " images");
        }
        double[] t = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            Map<?, ?> m = (Map<?, ?>) Json.parse(lines.get(warmup + i));
            t[i] = ((Number) ((Map<?, ?>) m.get("timings_ms")).get("total")).doubleValue() / 1e3;
        }
        return t;
    }

    private static Cold cold(List<Run> runs) {
        return new Cold(median(runs.stream().mapToDouble(x -> x.usage().wallSeconds()).toArray()),
                median(runs.stream().mapToDouble(x -> x.usage().cpuSeconds()).toArray()),
                (long) median(runs.stream().mapToDouble(x -> x.usage().peakRssMb()).toArray()));
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static Map<String, Object> toMap(Request q, Report r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", q.model().toString());
        m.put("image", q.image().toString());
        m.put("classes", CLASSES.split(",").length);
        if (q.size() != null) m.put("size", q.size());
        m.put("jvm_options", q.jvmOptions());
        m.put("first_cold", cold(r.first(), 1));
        m.put("cached_cold", cold(r.cached(), CACHED_RUNS));
        m.put("warm_image_s", round(r.warmImageSeconds()));
        m.put("warm_images", r.warmImages());
        m.put("first_over_warm", round(r.firstOverWarm()));
        m.put("cached_over_warm", round(r.cachedOverWarm()));
        return m;
    }

    private static Map<String, Object> cold(Cold c, int runs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runs", runs);
        m.put("wall_s", round(c.wallSeconds()));
        m.put("cpu_s", round(c.cpuSeconds()));
        m.put("peak_rss_mb", c.peakRssMb());
        return m;
    }

    static String toText(Request q, Report r) {
        StringBuilder b = new StringBuilder();
        b.append("cold segment of ").append(q.image().getFileName()).append(", ").append(CLASSES.split(",").length)
                .append(" classes, ").append(q.model().getFileName())
                .append(q.jvmOptions().isEmpty() ? "" : ", JVM options " + String.join(" ", q.jvmOptions())).append('\n');
        b.append(String.format("%-34s %8s %8s %12s%n", "", "wall s", "CPU s", "peak RSS MiB"));
        b.append(String.format("%-34s %8.2f %8.2f %12d%n", "first run (empty user cache)", r.first().wallSeconds(),
                r.first().cpuSeconds(), r.first().peakRssMb()));
        b.append(String.format("%-34s %8.2f %8.2f %12d%n", "next runs (median of " + CACHED_RUNS + ", cached)",
                r.cached().wallSeconds(), r.cached().cpuSeconds(), r.cached().peakRssMb()));
        b.append(String.format("%-34s %8.3f%n", "warm, per image (median of " + r.warmImages() + ")", r.warmImageSeconds()));
        b.append(String.format("first / warm %.1f x, next / warm %.1f x%n", r.firstOverWarm(), r.cachedOverWarm()));
        return b.toString();
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    private static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // a temporary folder left behind is not worth failing the measurement for
        }
    }

    static String json(Request q, Report r) {
        return Json.write(toMap(q, r));
    }
}
