package dev.clipengine.weights.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.weights.DType;
import dev.clipengine.weights.HeadCounts;
import dev.clipengine.weights.Sha256;
import dev.clipengine.weights.pull.Downloader.DownloadException;
import dev.clipengine.weights.pull.KnownModels.KnownModel;
import dev.clipengine.weights.pull.KnownModels.RemoteFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 case 6: {@code pull} against servers that misbehave ({@link HostileServer}, 127.0.0.1 only).
 * Each gets one line saying what happened, in bounded time (the stall window is shortened to 1 s here;
 * the default is 30 s), with nothing unverified left in the cache; and a file for which no checksum
 * exists gets one computed and recorded on its first download, which later runs check.
 */
class HostileServerPullTest {

    static final Downloader.Limits FAST = new Downloader.Limits(Duration.ofSeconds(2), Duration.ofSeconds(1), 1024);
    static final String PATH = "clip/models/x/model.bin";

    @TempDir
    Path tmp;
    List<String> log = new ArrayList<>();

    ModelCache cache() {
        return new ModelCache(tmp.resolve("cache"));
    }

    DownloadException fails(HostileServer.Script script, long maxBytes) throws IOException {
        try (HostileServer server = new HostileServer(script)) {
            KnownModel m = model(null, maxBytes);
            long t0 = System.nanoTime();
            DownloadException e = assertThrows(DownloadException.class, () -> puller(server).pull(m));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 5000, ms + " ms: " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertEquals(List.of(), completeFiles(), "nothing but a resumable .part in the cache");
            return e;
        }
    }

    static KnownModel model(String sha, long maxBytes) {
        return new KnownModel("hostile", List.of(new RemoteFile("https://example.invalid/" + PATH, "model.bin", sha, maxBytes)),
                new HeadCounts(4, 2), false);
    }

    Puller puller(HostileServer server) {
        return new Puller(new Puller.Options(cache(), server.baseUrl(), DType.F32, HeadCounts.NONE, false, false),
                Progress.to(new PrintWriter(new StringWriter(), true), false), log::add, FAST);
    }

    List<Path> completeFiles() throws IOException {
        if (!Files.exists(cache().dir())) return List.of();
        try (Stream<Path> s = Files.walk(cache().dir())) {
            return s.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".part")).toList();
        }
    }

    @Test
    void aStallAfterAThousandBytes() throws IOException {
        DownloadException e = fails((out, s) -> {
            HostileServer.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
            out.write(new byte[1000]);
            out.flush();
            s.pause(60_000);
        }, 1 << 20);
        assertTrue(e.getMessage().contains("stalled: fewer than 1024 bytes in 1 s after 1000 of 100000 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("next run resumes"), e.getMessage());
    }

    @Test
    void aBodyAtOneBytePerHalfSecond() throws IOException {
        DownloadException e = fails((out, s) -> {
            HostileServer.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
            for (int i = 0; i < 1000; i++) {
                out.write('x');
                out.flush();
                s.pause(500);
            }
        }, 1 << 20);
        assertTrue(e.getMessage().contains("stalled"), e.getMessage());
    }

    @Test
    void headersAtOneBytePerThreeHundredMilliseconds() throws IOException {
        DownloadException e = fails((out, s) -> {
            for (byte b : "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789".getBytes()) {
                out.write(b);
                out.flush();
                s.pause(300);
            }
        }, 1 << 20);
        assertTrue(e.getMessage().contains("no complete response within 1 s"), e.getMessage());
    }

    @Test
    void aNegativeContentLengthOnAKeptAliveConnection() throws IOException {
        DownloadException e = fails((out, s) -> {
            HostileServer.write(out, "HTTP/1.1 200 OK\r\nContent-Length: -5\r\nConnection: keep-alive\r\n\r\nabc");
            s.pause(60_000);
        }, 1 << 20);
        assertTrue(e.getMessage().contains("announced Content-Length '-5'"), e.getMessage());
    }

    @Test
    void anEndlessStreamStopsAtTheModelsSize() throws IOException {
        DownloadException e = fails((out, s) -> {
            HostileServer.write(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            byte[] chunk = new byte[64 << 10];
            while (!s.closed) out.write(chunk);
        }, 1 << 20);
        assertTrue(e.getMessage().contains("the server sent more than the 1048576 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("deleted"), e.getMessage());
        try (Stream<Path> all = Files.walk(cache().dir())) {
            assertEquals(0, all.filter(Files::isRegularFile).count(), "not even a .part: it cannot be a prefix of the file");
        }
    }

    @Test
    void anAnnouncedPetabyteIsRefusedBeforeReading() throws IOException {
        DownloadException e = fails((out, s) -> {
            HostileServer.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n");
            s.pause(60_000);
        }, KnownModels.maxBytes(KnownModels.PARAMS_B16));
        assertTrue(e.getMessage().contains("announces 1000000000000000 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("more than the " + KnownModels.maxBytes(KnownModels.PARAMS_B16)), e.getMessage());
    }

    @Test
    void aFileWithoutAnyChecksumGetsOneRecordedAndCheckedLater() throws Exception {
        byte[] body = "not a model, but bytes all the same\n".getBytes();
        HostileServer.Script plain = (out, s) -> {
            HostileServer.write(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            out.write(body);
            out.flush();
        };
        Path target = cache().downloads("hostile").resolve("model.bin");
        try (HostileServer server = new HostileServer(plain)) {
            // the conversion fails (not a checkpoint); the download itself is what is checked here
            assertThrows(IOException.class, () -> puller(server).pull(model(null, 1 << 20)));
            String sha = Sha256.of(target);
            assertTrue(log.stream().anyMatch(l -> l.contains("its SHA-256 " + sha + " was computed on this first download and recorded in "
                    + ChecksumRecord.of(target))), log.toString());
            assertEquals(sha, ChecksumRecord.read(ChecksumRecord.of(target)));

            // damaged in the cache: the next run notices and downloads it again
            Files.write(target, "tampered".getBytes());
            log.clear();
            assertThrows(IOException.class, () -> puller(server).pull(model(null, 1 << 20)));
            assertTrue(log.stream().anyMatch(l -> l.contains("does not match its recorded SHA-256; downloading it again")), log.toString());
            assertEquals(sha, Sha256.of(target));
        }
    }
}
