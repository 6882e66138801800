package dev.clipengine.serve;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real {@code serve} process on 127.0.0.1 with the tiny fixture model: the API against {@code segment}, bad uploads. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ServeIT {

    ServerProcess server;
    SafetensorsFile golden;

    @BeforeAll
    void start() throws Exception {
        golden = Fixtures.golden();
        server = ServerProcess.start(List.of("-Xmx512m"), "--max-upload-mb", "1");
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
        if (golden != null) golden.close();
    }

    /** One segmentation asked of both front ends: the options as {@code segment} flags and as form parts. */
    record Case(String name, Path image, Map<String, String> parts) {
        List<String> flags() {
            List<String> f = new ArrayList<>();
            parts.forEach((k, v) -> f.addAll(List.of("--" + k.replace('_', '-'), v)));
            return f;
        }
    }

    List<Case> cases() {
        Map<?, ?> seg = (Map<?, ?>) Json.parse(golden.metadata().get("segmentation"));
        Map<?, ?> voc21 = (Map<?, ?>) seg.get("seg.img0.voc21");
        List<?> images = (List<?>) Json.parse(golden.metadata().get("images"));
        Map<String, String> cliptrase = new LinkedHashMap<>();
        cliptrase.put("vocabulary", "VOC21");
        cliptrase.put("protocol", "cliptrase");   // the reference's crop (the default is the whole image)
        cliptrase.put("size", String.valueOf(voc21.get("size")));
        cliptrase.put("eps", String.valueOf(voc21.get("eps")));
        cliptrase.put("min_samples", String.valueOf(voc21.get("min_samples")));
        Map<String, String> full = new LinkedHashMap<>();
        full.put("classes", "wall, floor, person, sky");
        full.put("size", "64");
        full.put("protocol", "full");
        Map<String, String> slide = new LinkedHashMap<>();
        slide.put("method", "naclip");
        slide.put("vocabulary", "voc21");
        slide.put("size", "96");
        slide.put("crop", "64");
        slide.put("stride", "32");
        slide.put("logit_scale", "40");
        slide.put("prob_thd", "0.1");
        return List.of(new Case("seg.img0.voc21", Fixtures.dataset((String) images.get(0)), cliptrase),
                new Case("full-jpeg", Fixtures.dataset((String) images.get(1)), full),
                new Case("naclip-slide", ServerProcess.fixtureImage(), slide));
    }

    @Test
    void theApiAnswersTheBytesSegmentWrites(@TempDir Path tmp) throws Exception {
        for (Case c : cases()) {
            Path out = tmp.resolve(c.name());
            List<String> args = new ArrayList<>(List.of("segment", "--model", ServerProcess.model().toString(),
                    "--image", c.image().toString(), "--out", out.toString()));
            args.addAll(c.flags());
            Process p = new ProcessBuilder(ServerProcess.javaCommand(List.of(), args)).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), c.name());
            assertEquals(0, p.exitValue(), c.name() + ": " + log);
            String stem = c.image().getFileName().toString().replaceFirst("\\.[^.]+$", "");
            byte[] labels = Files.readAllBytes(out.resolve(stem + ".labels.png"));
            byte[] overlay = Files.readAllBytes(out.resolve(stem + ".overlay.png"));
            Map<?, ?> cli = (Map<?, ?>) Json.parse(Files.readString(out.resolve(stem + ".json")));

            byte[] image = Files.readAllBytes(c.image());
            HttpResponse<byte[]> json = server.post("v1/segment", form(c, image));
            assertEquals(200, json.statusCode(), c.name() + ": " + text(json));
            assertEquals("application/json; charset=utf-8", json.headers().firstValue("Content-Type").orElseThrow());
            Map<?, ?> j = (Map<?, ?>) Json.parse(text(json));
            assertArrayEquals(labels, Base64.getDecoder().decode((String) j.get("labels_png")), c.name() + ": labels PNG differs from segment's");
            assertArrayEquals(overlay, Base64.getDecoder().decode((String) j.get("overlay_png")), c.name() + ": overlay PNG differs from segment's");
            for (String key : List.of("classes", "width", "height", "clusters", "noise_patches", "windows", "resized", "crop", "stride")) {
                assertEquals(cli.get(key), j.get(key), c.name() + ": " + key);
            }
            assertEquals(cli.get("class_fractions"), fractions(j), c.name() + ": class fractions");

            HttpResponse<byte[]> png = server.post("v1/segment?output=labels", form(c, image));
            assertEquals(200, png.statusCode(), c.name());
            assertEquals("image/png", png.headers().firstValue("Content-Type").orElseThrow());
            assertArrayEquals(labels, png.body(), c.name() + ": ?output=labels differs from segment's labels.png");
            HttpResponse<byte[]> ov = server.post("v1/segment?output=overlay", form(c, image));
            assertEquals(200, ov.statusCode(), c.name());
            assertArrayEquals(overlay, ov.body(), c.name() + ": ?output=overlay differs from segment's overlay.png");
        }
    }

    @Test
    void theCliptraseCaseIsTheReferenceLabelMap() throws Exception {
        Case c = cases().get(0);
        HttpResponse<byte[]> png = server.post("v1/segment?output=labels", form(c, Files.readAllBytes(c.image())));
        assertEquals(200, png.statusCode(), text(png));
        var raster = ImageIO.read(new ByteArrayInputStream(png.body())).getRaster();
        long[] pred = golden.tensor(c.name() + ".pred").toLongArray();
        int size = raster.getWidth();
        assertEquals(pred.length, size * raster.getHeight());
        for (int i = 0; i < pred.length; i++) {
            assertEquals(pred[i], raster.getSample(i % size, i / size, 0), "label at pixel " + i);
        }
    }

    /** Each bad request: status, a JSON one-line message, and the server still answers a good one afterwards. */
    @Test
    void badRequestsGet4xxJsonAndTheServerKeepsServing() throws Exception {
        byte[] png = Files.readAllBytes(ServerProcess.fixtureImage());
        Map<String, ServerProcess.Form> bad = new LinkedHashMap<>();
        bad.put("400 not an image", new ServerProcess.Form().file("image", "notes.png", "just some text, no pixels".getBytes(StandardCharsets.UTF_8)).field("classes", "a,b"));
        bad.put("400 truncated", new ServerProcess.Form().file("image", "half.png", Arrays.copyOf(png, png.length / 2)).field("classes", "a,b"));
        bad.put("413 bomb", new ServerProcess.Form().file("image", "bomb.png", pngDeclaring(10_000, 10_000)).field("classes", "a,b"));
        bad.put("413 huge bomb", new ServerProcess.Form().file("image", "bomb.png", pngDeclaring(1 << 20, 1 << 20)).field("classes", "a,b"));
        bad.put("400 empty classes", new ServerProcess.Form().file("image", "x.png", png).field("classes", " , "));
        bad.put("400 blank classes", new ServerProcess.Form().file("image", "x.png", png).field("classes", ""));
        bad.put("400 no classes", new ServerProcess.Form().file("image", "x.png", png));
        bad.put("400 unknown method", new ServerProcess.Form().file("image", "x.png", png).field("classes", "a,b").field("method", "deeplab"));
        bad.put("400 unknown vocabulary", new ServerProcess.Form().file("image", "x.png", png).field("vocabulary", "VOC99"));
        bad.put("400 no image", new ServerProcess.Form().field("classes", "a,b"));
        bad.put("400 empty image", new ServerProcess.Form().file("image", "x.png", new byte[0]).field("classes", "a,b"));
        bad.put("400 unknown part", new ServerProcess.Form().file("image", "x.png", png).field("classes", "a").field("templates", "/etc/passwd"));
        bad.put("400 bad number", new ServerProcess.Form().file("image", "x.png", png).field("classes", "a").field("eps", "wide"));
        bad.put("400 size not a multiple of the patch", new ServerProcess.Form().file("image", "x.png", png).field("classes", "a").field("size", "70"));
        bad.put("400 slide option with cliptrase", new ServerProcess.Form().file("image", "x.png", png).field("classes", "a").field("crop", "32"));
        bad.put("400 duplicate classes", new ServerProcess.Form().file("image", "x.png", png).field("classes", "cat, cat"));
        for (var e : bad.entrySet()) {
            int expected = Integer.parseInt(e.getKey().substring(0, 3));
            HttpResponse<byte[]> r = server.post("v1/segment", e.getValue());
            assertError(expected, r, e.getKey());
            assertStillServing(png, e.getKey());
        }
        // too large: answered before the body is read, so the server closes that connection after the reply (and says
        // "Connection: close", which the JDK client does not show); sent from a client of its own, since the JDK
        // client may still pool a connection it was writing to
        var own = java.net.http.HttpClient.newHttpClient();
        HttpResponse<byte[]> tooLarge = own.send(new ServerProcess.Form().file("image", "big.png", new byte[(1 << 20) + 100])
                .field("classes", "a,b").request(server.base.resolve("v1/segment")), HttpResponse.BodyHandlers.ofByteArray());
        assertError(413, tooLarge, "too large");
        assertStillServing(png, "413 too large");
        // not multipart, a malformed body, an unknown output, a wrong verb, an unknown path
        HttpResponse<byte[]> r = server.client.send(java.net.http.HttpRequest.newBuilder(server.base.resolve("v1/segment"))
                .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"classes\":\"a\"}")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertError(415, r, "json body");
        r = server.client.send(java.net.http.HttpRequest.newBuilder(server.base.resolve("v1/segment"))
                .header("Content-Type", "multipart/form-data; boundary=xyz").POST(java.net.http.HttpRequest.BodyPublishers.ofString("--xyz\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertError(400, r, "truncated multipart");
        assertError(400, server.post("v1/segment?output=jpeg", new ServerProcess.Form().file("image", "x.png", png).field("classes", "a")), "output=jpeg");
        assertError(405, server.get("v1/segment"), "GET /v1/segment");
        assertError(404, server.get("v1/nothing"), "unknown path");
        assertStillServing(png, "after all");
        assertFalse(server.log().contains("Exception"), "the server logged an exception: " + server.log());
    }

    @Test
    void healthInfoAndMetrics() throws Exception {
        HttpResponse<byte[]> health = server.get("v1/health");
        assertEquals(200, health.statusCode());
        assertEquals(Map.of("status", "ok"), Json.parse(text(health)));
        Map<?, ?> info = (Map<?, ?>) Json.parse(text(server.get("v1/info")));
        assertTrue(((String) info.get("model")).contains("model.safetensors"), info.toString());
        assertEquals(List.of("cliptrase", "vanilla", "maskclip", "maskclip-reduced", "sclip", "clearclip", "naclip", "scclip", "resclip"), info.get("methods"));
        assertTrue(((List<?>) ((Map<?, ?>) info.get("vocabularies")).get("cliptrase")).contains("VOC20"));
        assertTrue(((List<?>) ((Map<?, ?>) info.get("vocabularies")).get("slide")).contains("voc21"));
        assertEquals("cpu", info.get("device"));
        assertEquals(64L, ((Map<?, ?>) info.get("architecture")).get("image_size"));

        byte[] png = Files.readAllBytes(ServerProcess.fixtureImage());
        Map<String, Long> before = metrics();
        for (int i = 0; i < 3; i++) assertEquals(200, server.post("v1/segment", new ServerProcess.Form().file("image", "x.png", png).field("classes", "road, sky").field("size", "64")).statusCode());
        for (int i = 0; i < 2; i++) assertEquals(400, server.post("v1/segment", new ServerProcess.Form().file("image", "x.png", png).field("classes", "")).statusCode());
        Map<String, Long> after = metrics();
        assertEquals(3, delta(before, after, "clipengine_http_requests_total{route=\"/v1/segment\",code=\"200\"}"));
        assertEquals(2, delta(before, after, "clipengine_http_requests_total{route=\"/v1/segment\",code=\"400\"}"));
        assertEquals(2, delta(before, after, "clipengine_errors_total{kind=\"bad_request\"}"));
        assertEquals(5, delta(before, after, "clipengine_segment_duration_seconds_count"));
        assertEquals(5, delta(before, after, "clipengine_segment_duration_seconds_bucket{le=\"+Inf\"}"));
        assertEquals(0L, after.get("clipengine_queue_depth"));
        assertEquals(0L, after.get("clipengine_in_flight"));
        assertTrue(after.get("process_resident_memory_bytes") > 10_000_000L);
        assertTrue(after.get("jvm_memory_heap_used_bytes") > 0L);
    }

    @Test
    void thePageAndTheApiDescriptionAreServedAndSelfContained() throws Exception {
        HttpResponse<byte[]> page = server.get("");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
        for (String asset : List.of("", "app.js", "style.css")) {
            String body = text(server.get(asset));
            // no CDN, no web font, no remote script: the page works offline
            assertFalse(body.matches("(?s).*(src|href)\\s*=\\s*[\"']?(https?:)?//.*"), asset + " loads something remote");
            assertFalse(body.contains("@import"), asset);
        }
        String api = text(server.get("openapi.yaml"));
        for (String route : List.of("/v1/segment:", "/v1/health:", "/v1/info:", "/metrics:", "/openapi.yaml:")) {
            assertTrue(api.contains("\n  " + route), "openapi.yaml lacks " + route);
        }
        for (String part : FormOptions.optionParts()) assertTrue(api.contains("\n                " + part + ":"), "openapi.yaml lacks part " + part);
    }

    private void assertStillServing(byte[] png, String after) throws Exception {
        HttpResponse<byte[]> ok;
        try {
            ok = server.post("v1/segment?output=labels", new ServerProcess.Form().file("image", "ok.png", png).field("classes", "road, sky").field("size", "64"));
        } catch (java.io.IOException e) {
            throw new AssertionError("after " + after + ": " + e + "; server log: " + server.log(), e);
        }
        assertEquals(200, ok.statusCode(), "after " + after + ": " + text(ok));
        assertNotNull(ImageIO.read(new ByteArrayInputStream(ok.body())), "after " + after);
    }

    static void assertError(int status, HttpResponse<byte[]> r, String what) {
        String body = text(r);
        assertEquals(status, r.statusCode(), what + ": " + body);
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), what);
        Map<?, ?> j = (Map<?, ?>) Json.parse(body);
        String message = (String) j.get("error");
        assertNotNull(message, what + ": " + body);
        assertFalse(message.isBlank() || message.contains("\n") || message.contains("Exception") || message.contains("\tat "), what + ": " + message);
        assertEquals((long) status, j.get("status"), what);
    }

    static ServerProcess.Form form(Case c, byte[] image) {
        return new ServerProcess.Form().file("image", c.image().getFileName().toString(), image).fields(c.parts());
    }

    static Map<String, Object> fractions(Map<?, ?> j) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Object o : (List<?>) j.get("legend")) out.put((String) ((Map<?, ?>) o).get("name"), ((Map<?, ?>) o).get("fraction"));
        return out;
    }

    static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    Map<String, Long> metrics() throws Exception {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : text(server.get("metrics")).split("\n")) {
            if (line.startsWith("#") || line.isBlank()) continue;
            int sp = line.lastIndexOf(' ');
            String v = line.substring(sp + 1);
            if (v.matches("-?[0-9]+")) m.put(line.substring(0, sp), Long.parseLong(v));
        }
        return m;
    }

    static long delta(Map<String, Long> before, Map<String, Long> after, String key) {
        return after.getOrDefault(key, 0L) - before.getOrDefault(key, 0L);
    }

    /**
     * A valid PNG whose header declares {@code w × h} 8-bit grey pixels but whose data holds one row: a few hundred
     * bytes that would cost {@code w·h·3} bytes decoded (a decompression bomb as far as the header goes).
     */
    static byte[] pngDeclaring(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0).array());
        Deflater d = new Deflater();
        d.setInput(new byte[Math.min(w, 1 << 16) + 1]);
        d.finish();
        byte[] buf = new byte[1 << 17];
        int n = d.deflate(buf);
        chunk(out, "IDAT", Arrays.copyOf(buf, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
