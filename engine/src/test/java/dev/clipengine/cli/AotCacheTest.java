package dev.clipengine.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AotCacheTest {

    @TempDir
    Path tmp;

    private static String filtered(String childStdout, int chunk) {
        byte[] all = childStdout.getBytes(StandardCharsets.UTF_8);
        // delivered in small chunks, as a pipe may: lines are split across reads
        InputStream in = new InputStream() {
            int at;

            @Override
            public int read() {
                return at < all.length ? all[at++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (at >= all.length) return -1;
                int n = Math.min(Math.min(len, chunk), all.length - at);
                System.arraycopy(all, at, b, off, n);
                at += n;
                return n;
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AotCache.copyStdout(in, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theRecordingRunsStdoutLosesOnlyTheJvmsLine() {
        String json = "{\"image\":\"a.png\",\"labels\":3}\n{\"image\":\"b.png\"}\n";
        String jvm = " AOTConfiguration recorded: /c/aot/x.aot.123.conf\n";
        for (int chunk : new int[] {1, 3, 8192}) {
            assertEquals(json, filtered(json + jvm, chunk));
            assertEquals(json, filtered(jvm + json, chunk));
            assertEquals(" AOT is mentioned\n" + json, filtered(" AOT is mentioned\n" + json, chunk));
            assertEquals("no newline at the end", filtered("no newline at the end", chunk));
        }
        assertEquals("", filtered(jvm, 5));
    }

    @Test
    void onlyWhenAskedForSegmentAndNotFightingTheUsersSharingOptions() throws Exception {
        Path jar = Files.writeString(tmp.resolve("engine.jar"), "jar");
        Map<String, String> on = Map.of("CLIP_ENGINE_AOT", "on", "CLIP_ENGINE_CACHE", tmp.resolve("c").toString());
        String[] segment = {"segment", "--model", "m"};
        assertNull(AotCache.forRun(segment, List.of(), jar, Map.of("CLIP_ENGINE_CACHE", tmp.toString()), "/home/u"), "opt-in");
        assertNull(AotCache.forRun(new String[] {"serve"}, List.of(), jar, on, "/home/u"));
        assertNull(AotCache.forRun(segment, List.of("-Xshare:off"), jar, on, "/home/u"));
        assertNull(AotCache.forRun(segment, List.of("-XX:AOTCache=/x.aot"), jar, on, "/home/u"));
        AotCache a = AotCache.forRun(segment, List.of("-Xmx1g"), jar, on, "/home/u");
        assertNotNull(a);
        assertTrue(a.recording(), "no cache yet: this run records");
        assertTrue(a.childOptions().contains("-XX:AOTMode=record"));
        assertTrue(Files.isDirectory(tmp.resolve("c/aot")));

        String name = AotCache.name(jar, List.of("-Xmx1g"));
        assertEquals(name, AotCache.name(jar, List.of("-Xmx1g")));
        assertNotEquals(name, AotCache.name(jar, List.of("-Xmx2g")), "other JVM options, other cache");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 5000));
        assertNotEquals(name, AotCache.name(jar, List.of("-Xmx1g")), "a rebuilt jar, another cache");

        // a killed launcher's recording is removed by the next run; a live one's (this process) is kept
        Path dead = Files.writeString(tmp.resolve("c/aot/x.aot.2147483646.conf"), "rec");
        Path live = Files.writeString(tmp.resolve("c/aot/x.aot." + ProcessHandle.current().pid() + ".tmp"), "tmp");
        AotCache.forRun(segment, List.of("-Xmx1g"), jar, on, "/home/u");
        assertTrue(!Files.exists(dead) && Files.exists(live));

        Files.writeString(tmp.resolve("c/aot").resolve(AotCache.name(jar, List.of("-Xmx1g")) + ".aot"), "cache");
        AotCache b = AotCache.forRun(segment, List.of("-Xmx1g"), jar, on, "/home/u");
        assertTrue(!b.recording() && b.childOptions().stream().anyMatch(o -> o.startsWith("-XX:AOTCache=")));
    }
}
