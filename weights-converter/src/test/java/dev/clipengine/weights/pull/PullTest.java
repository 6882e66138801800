package dev.clipengine.weights.pull;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.weights.ClipCheckpoint;
import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.DType;
import dev.clipengine.weights.HeadCounts;
import dev.clipengine.weights.Sha256;
import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.pull.Downloader.DownloadException;
import dev.clipengine.weights.pull.KnownModels.KnownModel;
import dev.clipengine.weights.pull.KnownModels.RemoteFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pull} end to end against a local HTTP server serving the clip-tiny fixtures at the
 * official paths (the real registry entries with a base-URL override, so the real code path runs):
 * good downloads, checksum mismatch, interrupted transfer and resume, server error, no network.
 */
class PullTest {

    static final ClipConfig GOLDEN = new ClipConfig(32, 64, 16, 64, 3, 4, 256, 77, 49408, 32, 2, 2, 128);
    static final String HF_PATH = "/openai/clip-vit-base-patch16/resolve/main/";

    @TempDir
    Path tmp;
    Path fixtures;
    FixtureServer server;
    ModelCache cache;
    List<String> log = new ArrayList<>();
    StringWriter progress = new StringWriter();

    @BeforeEach
    void setUp() throws IOException {
        String shared = System.getProperty("clip.shared");
        Assumptions.assumeTrue(shared != null, "SKIPPED: clip.shared is not set");
        fixtures = Path.of(shared, "fixtures", "clip-tiny");
        Assumptions.assumeTrue(Files.isDirectory(fixtures), "SKIPPED: no fixtures at " + fixtures);
        server = new FixtureServer();
        cache = new ModelCache(tmp.resolve("cache"));
    }

    @AfterEach
    void tearDown() {
        if (server != null) server.close();
    }

    Puller puller(HeadCounts heads, boolean offline, String base) {
        return new Puller(new Puller.Options(cache, base, DType.F32, heads, offline, false),
                Progress.to(new PrintWriter(progress, true), false), log::add);
    }

    Puller puller() {
        return puller(HeadCounts.NONE, false, server.baseUrl());
    }

    FixtureServer.File serveHf() throws IOException {
        byte[] model = Files.readAllBytes(fixtures.resolve("hf/model.safetensors"));
        FixtureServer.File f = server.serve(HF_PATH + "model.safetensors", model);
        f.headers.put("X-Linked-Etag", "\"" + Sha256.of(fixtures.resolve("hf/model.safetensors")) + "\"");
        server.serve(HF_PATH + "config.json", Files.readAllBytes(fixtures.resolve("hf/config.json")));
        return f;
    }

    KnownModel tinyJit() throws IOException {
        return new KnownModel("tiny/jit", List.of(new RemoteFile("https://openaipublic.azureedge.net/clip/models/x/openai-jit-fp16.pt",
                "openai-jit-fp16.pt", Sha256.of(fixture("openai-jit-fp16.pt")))), new HeadCounts(4, 2), false);
    }

    /**
     * A fixture the repository's test data leaves out (the TorchScript file: testdata/README.md); the test is
     * reported as skipped, naming it, unless -Dclip.shared points at a copy that holds it.
     */
    Path fixture(String name) {
        Path p = fixtures.resolve(name);
        Assumptions.assumeTrue(Files.exists(p), "SKIPPED: " + p + " is not in the repository's test data (testdata/README.md);"
                + " run with -Dclip.shared=<folder holding fixtures/clip-tiny/" + name + "> to include it");
        return p;
    }

    /** Every regular file under the cache. */
    List<Path> cacheFiles() throws IOException {
        if (!Files.exists(cache.dir())) return List.of();
        try (Stream<Path> s = Files.walk(cache.dir())) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    static void assertSameModelAsFixture(Path canonical, Path reference, HeadCounts heads) throws IOException {
        try (ClipCheckpoint a = ClipCheckpoint.open(canonical); ClipCheckpoint b = ClipCheckpoint.open(reference, heads, s -> { })) {
            assertEquals(GOLDEN, a.config());
            assertEquals(ClipCheckpoint.FORMAT_CANONICAL, a.format());
            for (Map.Entry<String, Tensor> e : b.tensors().entrySet()) {
                assertArrayEquals(e.getValue().toFloatArray(), a.tensor(e.getKey()).toFloatArray(), e.getKey());
            }
        }
    }

    @Test
    void goodDownloadOfTheHuggingFaceFiles() throws IOException {
        serveHf();
        KnownModel m = KnownModels.find("openai/clip-vit-base-patch16").orElseThrow();
        Path canonical = puller().pull(m);
        assertEquals(cache.canonical("openai-clip-vit-base-patch16"), canonical);
        assertSameModelAsFixture(canonical, fixtures.resolve("hf"), HeadCounts.NONE);
        assertEquals(Files.size(fixtures.resolve("hf/model.safetensors")), Files.size(cache.downloads(m.slug()).resolve("model.safetensors")));
        assertTrue(progress.toString().contains("model.safetensors [") && progress.toString().contains("100%"), progress.toString());
        assertTrue(log.getLast().contains("converted Hugging Face CLIPModel safetensors"), log.toString());
        // a second pull finds it in the cache and asks the server nothing
        int before = server.requests.size();
        assertEquals(canonical, puller().pull(m));
        assertEquals(before, server.requests.size());
        assertTrue(log.getLast().contains("already in the cache"), log.toString());
    }

    @Test
    void goodDownloadOfATorchScriptArchiveWithAPublishedChecksum() throws IOException {
        server.serve("/clip/models/x/openai-jit-fp16.pt", Files.readAllBytes(fixture("openai-jit-fp16.pt")));
        Path canonical = puller().pull(tinyJit());
        assertSameModelAsFixture(canonical, fixtures.resolve("hf"), HeadCounts.NONE);
        try (ClipCheckpoint c = ClipCheckpoint.open(canonical)) {
            assertEquals(Sha256.of(fixture("openai-jit-fp16.pt")), c.metadata().get("source_sha256"));
            assertEquals(DType.F32, c.tensor("visual.proj").dtype());
        }
    }

    @Test
    void checksumMismatchLeavesNothingInTheCache() throws IOException {
        // the real ViT-B/16 entry, whose published SHA-256 the tiny fixture cannot have
        KnownModel b16 = KnownModels.find("ViT-B/16").orElseThrow();
        String path = "/" + java.net.URI.create(b16.files().getFirst().url()).getPath().substring(1);
        server.serve(path, Files.readAllBytes(fixture("openai-jit-fp16.pt")));
        DownloadException e = assertThrows(DownloadException.class, () -> puller().pull(b16));
        assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains("the published one is "
                + "5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f"), e.getMessage());
        assertTrue(e.getMessage().contains("nothing was saved"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void serverStatedChecksumMismatchToo() throws IOException {
        serveHf().headers.put("X-Linked-Etag", "\"" + "0".repeat(64) + "\"");
        DownloadException e = assertThrows(DownloadException.class,
                () -> puller().pull(KnownModels.find("openai/clip-vit-base-patch16").orElseThrow()));
        assertTrue(e.getMessage().contains("the server states " + "0".repeat(64)), e.getMessage());
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void interruptedTransferIsResumed() throws IOException {
        byte[] body = Files.readAllBytes(fixture("openai-jit-fp16.pt"));
        FixtureServer.File f = server.serve("/clip/models/x/openai-jit-fp16.pt", body);
        f.cutAfter = body.length / 2;
        KnownModel jit = tinyJit();   // outside the lambda: a skip for the missing fixture is not the exception expected
        DownloadException e = assertThrows(DownloadException.class, () -> puller().pull(jit));
        assertTrue(e.getMessage().contains("stopped after") && e.getMessage().contains("next run resumes"), e.getMessage());
        Path part = cache.downloads("tiny-jit").resolve("openai-jit-fp16.pt.part");
        assertTrue(Files.size(part) > 0 && Files.size(part) <= body.length / 2, "part " + Files.size(part));
        assertEquals(List.of(part), cacheFiles(), "only the resumable part is left");

        long have = Files.size(part);
        Path canonical = puller().pull(tinyJit());
        assertEquals("GET /clip/models/x/openai-jit-fp16.pt bytes=" + have + "-", server.requests.getLast());
        assertTrue(progress.toString().contains("resuming after"), progress.toString());
        assertSameModelAsFixture(canonical, fixtures.resolve("hf"), HeadCounts.NONE);
        assertFalse(Files.exists(part));
    }

    @Test
    void aServerThatIgnoresRangesMeansAStartOver() throws IOException {
        byte[] body = Files.readAllBytes(fixture("openai-jit-fp16.pt"));
        server.serve("/clip/models/x/openai-jit-fp16.pt", body).ignoreRange = true;
        Path part = cache.downloads("tiny-jit").resolve("openai-jit-fp16.pt.part");
        Files.createDirectories(part.getParent());
        Files.write(part, new byte[] {1, 2, 3, 4, 5}); // stale garbage, not a prefix of the file
        Path canonical = puller().pull(tinyJit());
        assertEquals(Files.size(fixture("openai-jit-fp16.pt")),
                Files.size(cache.downloads("tiny-jit").resolve("openai-jit-fp16.pt")));
        assertTrue(Files.isRegularFile(canonical));
    }

    @Test
    void serverError() throws IOException {
        server.serve("/clip/models/x/openai-jit-fp16.pt", new byte[0]).status = 503;
        KnownModel jit = tinyJit();   // outside the lambda: a skip for the missing fixture is not the exception expected
        DownloadException e = assertThrows(DownloadException.class, () -> puller().pull(jit));
        assertTrue(e.getMessage().contains("HTTP 503 (server error; try again later)"), e.getMessage());
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void noNetwork() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        KnownModel b16 = KnownModels.find("ViT-B/16").orElseThrow();
        DownloadException e = assertThrows(DownloadException.class,
                () -> puller(HeadCounts.NONE, false, "http://127.0.0.1:" + port + "/").pull(b16));
        Path target = cache.downloads("ViT-B-16").resolve("ViT-B-16.pt");
        assertTrue(e.getMessage().startsWith("cannot reach 127.0.0.1:" + port + " ("), e.getMessage());
        // why, in words: no JDK class name such as ConnectException in the line a user reads
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
        assertTrue(e.getMessage().contains("offline? download http://127.0.0.1:" + port + "/clip/models/") && e.getMessage().contains("put it at " + target), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void offlineSaysWhereToPutTheFile() throws IOException {
        KnownModel b16 = KnownModels.find("ViT-B/16").orElseThrow();
        DownloadException e = assertThrows(DownloadException.class, () -> puller(HeadCounts.NONE, true, null).pull(b16));
        assertTrue(e.getMessage().contains("offline (CLIP_ENGINE_OFFLINE is set)")
                && e.getMessage().contains("download https://openaipublic.azureedge.net/clip/models/5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f/ViT-B-16.pt")
                && e.getMessage().contains(cache.downloads("ViT-B-16").resolve("ViT-B-16.pt").toString()), e.getMessage());
        assertTrue(server.requests.isEmpty());
    }

    @Test
    void aCachedDownloadIsCheckedAgainstItsChecksumBeforeUse() throws IOException {
        server.serve("/clip/models/x/openai-jit-fp16.pt", Files.readAllBytes(fixture("openai-jit-fp16.pt")));
        Path target = cache.downloads("tiny-jit").resolve("openai-jit-fp16.pt");
        Files.createDirectories(target.getParent());
        Files.write(target, new byte[] {9, 9, 9}); // damaged
        puller().pull(tinyJit());
        assertTrue(log.getFirst().contains("does not match its published SHA-256"), log.toString());
        assertEquals(1, server.requests.size());
    }
}
