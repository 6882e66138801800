package dev.clipengine.cli;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.clipengine.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The commands through the real {@code engine.jar}, started with plain {@code java -jar} (no JVM
 * flags), as a user or a checking script would: their JSON must reproduce the golden embeddings for
 * both fixture formats, and bad input must give one line on stderr and exit code 2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CommandLineIT {

    record Result(int code, String out, String err) {
    }

    Path dir;
    SafetensorsFile golden;
    Map<?, ?> config;

    @BeforeAll
    void setUp() {
        dir = Fixtures.clipTiny();
        golden = Fixtures.golden();
        config = (Map<?, ?>) Json.parse(golden.metadata().get("config"));
    }

    @AfterAll
    void tearDown() {
        if (golden != null) golden.close();
    }

    /** The model arguments for each fixture format (OpenCLIP files record no head counts). */
    List<String> modelArgs(String format) {
        return switch (format) {
            case "open_clip" -> List.of("--model", Fixtures.optional("open_clip_model.safetensors").toString(),
                    "--vision-heads", String.valueOf(config.get("vheads")), "--text-heads", String.valueOf(config.get("theads")));
            case "hf" -> List.of("--model", dir.resolve("hf").toString());
            default -> throw new IllegalArgumentException(format);
        };
    }

    static Result run(List<String> args) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        assertTrue(Files.isRegularFile(jar), "engine.jar not built at " + jar.toAbsolutePath());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).start();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    static List<String> concat(List<String> a, String... b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(List.of(b));
        return l;
    }

    @ParameterizedTest
    @ValueSource(strings = {"open_clip", "hf"})
    void embedTextReproducesGolden(String format) throws Exception {
        List<?> texts = (List<?>) Json.parse(golden.metadata().get("texts"));
        List<String> args = new ArrayList<>(List.of("embed-text"));
        args.addAll(modelArgs(format));
        for (Object t : texts) args.addAll(List.of("--text", (String) t));
        args.add("--json");
        Result r = run(args);
        assertEquals(0, r.code(), r.err());
        List<?> results = (List<?>) ((Map<?, ?>) Json.parse(r.out().strip())).get("results");
        assertEquals(texts.size(), results.size());
        long[] ids = golden.tensor("text.ids").toLongArray();
        float[] embeds = golden.tensor("text.embeds").toFloatArray();
        int ctx = ids.length / texts.size(), e = embeds.length / texts.size();
        for (int t = 0; t < texts.size(); t++) {
            Map<?, ?> res = (Map<?, ?>) results.get(t);
            assertEquals(texts.get(t), res.get("text"));
            List<?> gotIds = (List<?>) res.get("ids");
            assertEquals(ctx, gotIds.size());
            for (int k = 0; k < ctx; k++) assertEquals(ids[t * ctx + k], ((Number) gotIds.get(k)).longValue(), "text " + t + " id " + k);
            assertClose(java.util.Arrays.copyOfRange(embeds, t * e, (t + 1) * e), floats(res.get("embedding")), 1e-4f,
                    format + " text " + t);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"open_clip", "hf"})
    void embedImageReproducesGolden(String format) throws Exception {
        List<?> images = (List<?>) Json.parse(golden.metadata().get("images"));
        int patch = ((Number) config.get("patch")).intValue();
        for (int i = 0; i < images.size(); i++) {
            Path image = Fixtures.dataset((String) images.get(i));
            for (String key : golden.tensors().keySet()) {
                var m = java.util.regex.Pattern.compile("img" + i + "\\.s(\\d+)\\.(trasepos\\.)?image_embed").matcher(key);
                if (!m.matches()) continue;
                String size = m.group(1), interp = m.group(2) == null ? "bicubic" : "cliptrase";
                Result r = run(concat(concat(List.of("embed-image"), modelArgs(format).toArray(String[]::new)),
                        "--image", image.toString(), "--size", size, "--pos-interp", interp, "--json"));
                assertEquals(0, r.code(), r.err());
                Map<?, ?> res = (Map<?, ?>) Json.parse(r.out().strip());
                int s = Integer.parseInt(size);
                assertEquals(s, ((Number) res.get("size")).intValue());
                assertEquals(List.of((long) s / patch, (long) s / patch), res.get("grid"));
                assertClose(golden.tensor(key).toFloatArray(), floats(res.get("embedding")), 1e-4f, format + " " + key);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"open_clip", "hf"})
    void classifyReproducesGoldenLogits(String format) throws Exception {
        List<?> texts = (List<?>) Json.parse(golden.metadata().get("texts"));
        List<?> images = (List<?>) Json.parse(golden.metadata().get("images"));
        float[] logits = golden.tensor("logits_per_image").toFloatArray();
        // classify refuses blank labels and splits on '|', so score the texts that are neither
        List<Integer> use = new ArrayList<>();
        for (int t = 0; t < texts.size(); t++) {
            String s = (String) texts.get(t);
            if (!s.isBlank() && !s.contains("|") && s.strip().equals(s)) use.add(t);
        }
        String labels = String.join("|", use.stream().map(t -> (String) texts.get(t)).toList());
        for (int i = 0; i < images.size(); i++) {
            Result r = run(concat(concat(List.of("classify"), modelArgs(format).toArray(String[]::new)),
                    "--image", Fixtures.dataset((String) images.get(i)).toString(), "--labels", labels, "--json"));
            assertEquals(0, r.code(), r.err());
            Map<?, ?> res = (Map<?, ?>) Json.parse(r.out().strip());
            float[] got = floats(res.get("logits")), probs = floats(res.get("probs"));
            float[] expected = new float[use.size()];
            for (int j = 0; j < use.size(); j++) expected[j] = logits[i * texts.size() + use.get(j)];
            assertClose(expected, got, 1e-4f, format + " img" + i + " logits");
            double sum = 0;
            for (float p : probs) sum += p;
            assertEquals(1.0, sum, 1e-5);
        }
    }

    @Test
    void badInputGivesOneLineAndExitCode2(@TempDir Path tmp) throws Exception {
        Path notImage = Files.writeString(tmp.resolve("notes.png"), "this is not an image\n");
        Path truncated = tmp.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(dir.resolve("hf/model.safetensors")), 5000));
        Path image = Fixtures.dataset((String) ((List<?>) Json.parse(golden.metadata().get("images"))).get(0));
        List<String> hf = modelArgs("hf");
        List<List<String>> cases = List.of(
                List.of("embed-text", "--model", tmp.resolve("missing.safetensors").toString(), "--text", "x"),
                concat(concat(List.of("embed-image"), hf.toArray(String[]::new)), "--image", notImage.toString()),
                concat(concat(List.of("embed-image"), hf.toArray(String[]::new)), "--image", tmp.resolve("nope.jpg").toString()),
                concat(concat(List.of("embed-image"), hf.toArray(String[]::new)), "--image", image.toString(), "--size", "70"),
                concat(concat(List.of("embed-image"), hf.toArray(String[]::new)), "--image", image.toString(), "--pos-interp", "nearest"),
                concat(concat(List.of("classify"), hf.toArray(String[]::new)), "--image", image.toString(), "--labels", ""),
                List.of("embed-text", "--model", truncated.toString(), "--text", "x"),
                List.of("embed-text", "--model", notImage.toString(), "--text", "x"),
                List.of("no-such-command"),
                List.of("embed-text", "--model", dir.resolve("hf").toString()));   // no --text
        for (List<String> c : cases) {
            Result r = run(c);
            assertEquals(2, r.code(), c + " -> " + r.err());
            String err = r.err().strip();
            assertFalse(err.isEmpty(), c + " printed nothing on stderr");
            assertEquals(1, err.lines().count(), c + " printed more than one line:\n" + err);
            assertTrue(err.startsWith("error: "), err);
            assertFalse(err.contains("Exception"), c + " leaked an exception name: " + err);
            assertEquals("", r.out(), c + " wrote to stdout");
        }
    }

    @Test
    void segmentWritesTheReferenceLabelMaps(@TempDir Path tmp) throws Exception {
        Map<?, ?> cases = (Map<?, ?>) Json.parse(golden.metadata().get("segmentation"));
        List<?> images = (List<?>) Json.parse(golden.metadata().get("images"));
        for (var e : cases.entrySet()) {
            String name = (String) e.getKey();                       // seg.img0.voc20
            Map<?, ?> c = (Map<?, ?>) e.getValue();
            int img = Integer.parseInt(name.split("\\.")[1].substring(3));
            String vocabulary = name.substring(name.lastIndexOf('.') + 1).toUpperCase(java.util.Locale.ROOT);
            Path image = Fixtures.dataset((String) images.get(img));
            Path out = tmp.resolve(name);
            Result r = run(concat(concat(List.of("segment"), modelArgs("hf").toArray(String[]::new)),
                    "--image", image.toString(), "--vocabulary", vocabulary, "--size", String.valueOf(c.get("size")),
                    "--eps", String.valueOf(c.get("eps")), "--min-samples", String.valueOf(c.get("min_samples")),
                    "--protocol", "cliptrase", "--out", out.toString(), "--json"));
            assertEquals(0, r.code(), r.err());
            String stem = image.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            var png = javax.imageio.ImageIO.read(out.resolve(stem + ".labels.png").toFile());
            long[] pred = golden.tensor(name + ".pred").toLongArray();
            int size = ((Number) c.get("size")).intValue();
            assertEquals(size, png.getWidth());
            assertEquals(size, png.getHeight());
            var raster = png.getRaster();
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    assertEquals(pred[y * size + x], raster.getSample(x, y, 0), name + " label at " + x + "," + y);
                }
            }
            Map<?, ?> summary = (Map<?, ?>) Json.parse(Files.readString(out.resolve(stem + ".json")));
            assertEquals(((Number) c.get("clusters")).longValue(), summary.get("clusters"), name);
            assertEquals(((Number) c.get("noise")).longValue(), summary.get("noise_patches"), name);
            assertEquals(Json.parse(r.out().strip()), summary, "stdout --json equals the written summary");
            assertTrue(Files.size(out.resolve(stem + ".overlay.png")) > 0);
        }
    }

    @Test
    void segmentBadInput(@TempDir Path tmp) throws Exception {
        Path image = Fixtures.dataset((String) ((List<?>) Json.parse(golden.metadata().get("images"))).get(0));
        Path notImage = Files.writeString(tmp.resolve("notes.jpg"), "not an image");
        List<String> base = concat(List.of("segment"), modelArgs("hf").toArray(String[]::new));
        String out = tmp.resolve("out").toString();
        List<List<String>> cases = List.of(
                concat(base, "--image", image.toString(), "--classes", "", "--out", out),
                concat(base, "--image", image.toString(), "--classes", "car,,road", "--out", out),
                concat(base, "--image", image.toString(), "--classes", "car,road,car", "--out", out),
                concat(base, "--image", image.toString(), "--vocabulary", "VOC99", "--out", out),
                concat(base, "--image", notImage.toString(), "--classes", "car,road", "--out", out),
                concat(base, "--image", image.toString(), "--classes", "car", "--size", "100", "--out", out),
                concat(base, "--image", image.toString(), "--classes", "car", "--protocol", "slidey", "--out", out),
                concat(base, "--image", image.toString(), "--classes", "car", "--eps", "-1", "--out", out),
                concat(base, "--image", image.toString(), "--classes", "car", "--vocabulary", "VOC20", "--out", out),
                concat(base, "--image", image.toString(), "--classes", "car"));
        for (List<String> c : cases) {
            Result r = run(c);
            assertEquals(2, r.code(), c + " -> " + r.err());
            String err = r.err().strip();
            assertEquals(1, err.lines().count(), c + " printed more than one line:\n" + err);
            assertTrue(err.startsWith("error: "), err);
            assertEquals("", r.out(), c + " wrote to stdout");
        }
        // nothing half-written: only complete outputs (or none) exist
        if (Files.isDirectory(Path.of(out))) {
            try (var files = Files.list(Path.of(out))) {
                assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList());
            }
        }
    }

    static float[] floats(Object jsonList) {
        List<?> l = (List<?>) jsonList;
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) f[i] = ((Number) l.get(i)).floatValue();
        return f;
    }
}
