package dev.clipengine.cli;

import com.sun.net.httpserver.HttpServer;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.clipengine.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every checkpoint format a user holds, through the real {@code engine.jar}: the PyTorch fixtures
 * (TorchScript fp16, torch.save fp32 and fp16) given to {@code --model} directly and converted with
 * {@code convert}, must reproduce the golden text and image embeddings; {@code pull} and
 * {@code --model NAME} run against a local HTTP server serving the Hugging Face fixture at the
 * Hub's paths (no test touches the internet).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckpointFormatsIT {

    record Result(int code, String out, String err) {
    }

    static final List<String> TINY_HEADS = List.of("--vision-heads", "4", "--text-heads", "2");

    @TempDir
    Path tmp;
    Path dir;
    SafetensorsFile golden;
    List<?> texts;

    @BeforeAll
    void setUp() {
        dir = Fixtures.clipTiny();
        golden = Fixtures.golden();
        texts = (List<?>) Json.parse(golden.metadata().get("texts"));
    }

    @AfterAll
    void tearDown() {
        if (golden != null) golden.close();
    }

    static Result run(List<String> args, Map<String, String> env) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        assertTrue(Files.isRegularFile(jar), "engine.jar not built at " + jar.toAbsolutePath());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("CLIP_ENGINE_BASE_URL");
        pb.environment().remove("CLIP_ENGINE_OFFLINE");
        pb.environment().putAll(env);
        Process p = pb.start();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /**
     * embed-text on the golden texts and (when {@code image}) embed-image on img0 at 64 with
     * {@code model}, against the goldens. Each run starts a JVM (twice, with the vector module), so
     * the suite runs the image only where the weights reach the vision tower by a new path.
     */
    void reproducesGoldens(List<String> model, Map<String, String> env, String what, boolean image) throws Exception {
        List<String> args = new ArrayList<>(List.of("embed-text"));
        args.addAll(model);
        for (Object t : texts) args.addAll(List.of("--text", (String) t));
        args.add("--json");
        Result r = run(args, env);
        assertEquals(0, r.code(), r.err());
        List<?> results = (List<?>) ((Map<?, ?>) Json.parse(r.out().strip())).get("results");
        float[] embeds = golden.tensor("text.embeds").toFloatArray();
        int e = embeds.length / texts.size();
        for (int t = 0; t < texts.size(); t++) {
            assertClose(java.util.Arrays.copyOfRange(embeds, t * e, (t + 1) * e),
                    CommandLineIT.floats(((Map<?, ?>) results.get(t)).get("embedding")), 1e-4f, what + " text " + t);
        }
        if (!image) return;
        String imagePath = Fixtures.dataset((String) ((List<?>) Json.parse(golden.metadata().get("images"))).get(0)).toString();
        List<String> img = new ArrayList<>(List.of("embed-image"));
        img.addAll(model);
        img.addAll(List.of("--image", imagePath, "--size", "64", "--json"));
        Result ri = run(img, env);
        assertEquals(0, ri.code(), ri.err());
        assertClose(golden.tensor("img0.s64.image_embed").toFloatArray(),
                CommandLineIT.floats(((Map<?, ?>) Json.parse(ri.out().strip())).get("embedding")), 1e-4f, what + " image");
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai-jit-fp16.pt", "openai-state_dict.pt", "openai-state_dict-fp16.pt"})
    void pytorchFilesGiveTheGoldenEmbeddings(String name) throws Exception {
        List<String> model = new ArrayList<>(List.of("--model", Fixtures.optional(name).toString()));
        model.addAll(TINY_HEADS);
        reproducesGoldens(model, Map.of(), name, name.contains("jit") || name.equals("openai-state_dict-fp16.pt"));
    }

    @Test
    void everyFormatConvertsToBitIdenticalCanonicalFilesThatGiveTheGoldens() throws Exception {
        // the others are checked against the first, so every one is needed: skipped, by name, without them
        for (String name : List.of("open_clip_model.safetensors", "openai-jit-fp16.pt", "openai-state_dict.pt",
                "openai-state_dict-fp16.pt")) Fixtures.optional(name);
        Path first = null;
        for (String name : List.of("open_clip_model.safetensors", "hf", "openai-jit-fp16.pt", "openai-state_dict.pt",
                "openai-state_dict-fp16.pt")) {
            Path out = tmp.resolve(name.replace('.', '_') + ".safetensors");
            List<String> args = new ArrayList<>(List.of("convert", dir.resolve(name).toString(), "-o", out.toString()));
            if (!name.equals("hf")) args.addAll(TINY_HEADS);
            Result c = run(args, Map.of());
            assertEquals(0, c.code(), c.err());
            if (first == null) {
                first = out;
                continue;
            }
            try (SafetensorsFile a = SafetensorsFile.open(first); SafetensorsFile b = SafetensorsFile.open(out)) {
                assertEquals(a.tensors().keySet().stream().toList(), b.tensors().keySet().stream().toList(), name);
                for (var t : a.tensors().values()) {
                    assertEquals("F32", b.tensor(t.name()).dtype().name(), name + " " + t.name());
                    assertEquals(-1, t.data().mismatch(b.tensor(t.name()).data()), name + ": " + t.name() + " differs");
                }
                assertEquals(a.metadata().get("config"), b.metadata().get("config"), name);
            }
        }
        // all five are the same bytes; the canonical file records the heads, so none are given now
        reproducesGoldens(List.of("--model", first.toString()), Map.of(), "canonical", true);
    }

    @Test
    void pullThenUseByNameAndPullOnFirstUse() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        Map<String, byte[]> files = new HashMap<>();
        String base = "/openai/clip-vit-base-patch16/resolve/main/";
        files.put(base + "model.safetensors", Files.readAllBytes(dir.resolve("hf/model.safetensors")));
        files.put(base + "config.json", Files.readAllBytes(dir.resolve("hf/config.json")));
        List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.createContext("/", ex -> {
            try (ex) {
                requests.add(ex.getRequestURI().getPath());
                byte[] b = files.get(ex.getRequestURI().getPath());
                if (b == null) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
            }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
            Path cache = tmp.resolve("cache");
            Result pulled = run(List.of("pull", "openai/clip-vit-base-patch16", "--cache-dir", cache.toString(), "--base-url", url), Map.of());
            assertEquals(0, pulled.code(), pulled.err());
            assertEquals(cache.resolve("openai-clip-vit-base-patch16.safetensors").toString(), pulled.out().strip());
            assertTrue(pulled.err().contains("model.safetensors [") && pulled.err().contains("converted"), pulled.err());
            reproducesGoldens(List.of("--model", "openai/clip-vit-base-patch16"), Map.of("CLIP_ENGINE_CACHE", cache.toString()), "pulled", true);
            assertEquals(2, requests.size(), requests.toString());

            // an empty cache, a model name: pulled on first use
            Path fresh = tmp.resolve("fresh");
            reproducesGoldens(List.of("--model", "openai/clip-vit-base-patch16"),
                    Map.of("CLIP_ENGINE_CACHE", fresh.toString(), "CLIP_ENGINE_BASE_URL", url), "pulled on first use", false);
            assertTrue(Files.isRegularFile(fresh.resolve("openai-clip-vit-base-patch16.safetensors")));

            // offline with nothing cached: one line saying where to put the file
            Result off = run(List.of("embed-text", "--model", "ViT-B/16", "--text", "a cat"),
                    Map.of("CLIP_ENGINE_CACHE", tmp.resolve("empty").toString(), "CLIP_ENGINE_OFFLINE", "1"));
            assertEquals(2, off.code());
            assertEquals(1, off.err().strip().lines().count(), off.err());
            assertTrue(off.err().startsWith("error: offline") && off.err().contains("ViT-B-16.pt") && off.err().contains("put it there"), off.err());
            assertFalse(Files.exists(tmp.resolve("empty").resolve("ViT-B-16.safetensors")));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aMaliciousPickleIsOneLineAndExitTwo() throws Exception {
        // a torch.save-shaped zip whose data.pkl calls os.system: refused by name, nothing runs
        byte[] pkl = "\u0080\u0002cos\nsystem\nq\u0000X\u0007\u0000\u0000\u0000touch /tmp/x\u0085R.".getBytes(StandardCharsets.ISO_8859_1);
        Path evil = tmp.resolve("evil.pt");
        try (var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(evil))) {
            zip.putNextEntry(new java.util.zip.ZipEntry("evil/data.pkl"));
            zip.write(pkl);
            zip.closeEntry();
        }
        Result r = run(List.of("embed-text", "--model", evil.toString(), "--text", "x"), Map.of());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(evil + ": evil/data.pkl at byte 2: global 'os.system' is not allowed"), r.err());
    }
}
