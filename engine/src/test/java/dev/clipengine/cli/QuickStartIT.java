package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's quick start as a newcomer meets it on a machine without a network (issue 18): its {@code segment}
 * command, taken from README.md as written, run through the built engine.jar with no {@code --model} (so the
 * default, ViT-B/16) and an empty cache. Unreachable (a loopback port nobody listens on, standing in for the
 * download host) it must print the line the README shows, naming the file to fetch and where to put it, and exit
 * 2; with {@code CLIP_ENGINE_OFFLINE=1} the offline line, which names the checksum too. Nothing is cached either way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuickStartIT {

    static final Path ROOT = Path.of("..");
    static final String OFFICIAL = "https://openaipublic.azureedge.net";

    @TempDir
    Path tmp;

    List<String> segment;   // the README's java command's arguments after the jar
    String documented;      // the error line the README shows

    @BeforeAll
    void readTheReadme() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int at = readme.indexOf("## Quick start");
        assertTrue(at >= 0, "README.md has no Quick start section");
        String section = readme.substring(at, readme.indexOf("\n## ", at + 1));
        Matcher sh = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL).matcher(section);
        assertTrue(sh.find(), "no sh block in the quick start");
        String line = sh.group(1).lines().filter(l -> l.contains("java -jar")).findFirst().orElseThrow();
        String[] steps = line.split(" && ");
        assertEquals(2, steps.length, "build && run: " + line);
        assertTrue(steps[0].startsWith("mvn ") && steps[0].contains(" package"), "the first step builds: " + steps[0]);
        List<String> words = words(steps[1]);
        assertEquals(List.of("java", "-jar", "engine/target/engine.jar", "segment"), words.subList(0, 4), steps[1]);
        assertFalse(words.contains("--model"), "the quick start runs the default model: " + steps[1]);
        segment = words.subList(3, words.size());
        Matcher text = Pattern.compile("```text\n(error: [^\n]*)\n```").matcher(section);
        assertTrue(text.find(), "the quick start shows no error line");
        documented = text.group(1);
    }

    /** Shell words of a line with double-quoted strings, as the README's commands are written. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(line.strip());
        while (m.find()) out.add(m.group(1) != null ? m.group(1) : m.group(2));
        return out;
    }

    record Result(int code, String out, String err) {
    }

    /** The README's command in a fresh folder (relative inputs found in the checkout), with {@code env} set. */
    Result runQuickStart(Path cwd, Map<String, String> env) throws Exception {
        Files.createDirectories(cwd);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Path.of(System.getProperty("engine.jar", "target/engine.jar")).toAbsolutePath().toString()));
        for (String w : segment) cmd.add(Files.exists(ROOT.resolve(w)) && !w.endsWith("/") ? ROOT.resolve(w).toAbsolutePath().normalize().toString() : w);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        Stream.of("CLIP_ENGINE_OFFLINE", "CLIP_ENGINE_CACHE", "CLIP_ENGINE_BASE_URL", "XDG_CACHE_HOME").forEach(pb.environment()::remove);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes(), err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void unreachableHostPrintsTheDocumentedLine() throws Exception {
        Path home = tmp.resolve("home");
        int port = closedPort();
        // the default cache of an empty home (~/.cache, as XDG_CACHE_HOME names it: Java's user.home does not follow
        // $HOME); the download host a dead loopback port
        Result r = runQuickStart(tmp.resolve("work"), Map.of("XDG_CACHE_HOME", home.resolve(".cache").toString(),
                "CLIP_ENGINE_BASE_URL", "http://127.0.0.1:" + port + "/"));
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        Path cache = home.resolve(".cache/clip-engine");
        String seen = r.err().strip().replace("http://127.0.0.1:" + port, OFFICIAL).replace("127.0.0.1:" + port, "openaipublic.azureedge.net")
                .replace(cache.toString(), "~/.cache/clip-engine");
        assertEquals(documented, seen, "README.md's quick start shows another line than the command prints");
        assertFalse(Files.exists(cache.resolve("ViT-B-16.safetensors")));
        assertFalse(Files.exists(cache.resolve("downloads/ViT-B-16/ViT-B-16.pt")));
    }

    @Test
    void offlineNamesTheFileItsChecksumAndWhereItGoes() throws Exception {
        Path cache = tmp.resolve("empty-cache");
        Result r = runQuickStart(tmp.resolve("work-offline"), Map.of("CLIP_ENGINE_CACHE", cache.toString(), "CLIP_ENGINE_OFFLINE", "1"));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        String e = r.err().strip();
        assertTrue(e.startsWith("error: offline (CLIP_ENGINE_OFFLINE is set) and " + cache.resolve("downloads/ViT-B-16/ViT-B-16.pt")), e);
        assertTrue(e.contains("download " + OFFICIAL + "/clip/models/") && e.contains("/ViT-B-16.pt by other means and put it there"), e);
        // the SHA-256 OpenAI publishes in the file's URL, which the pull checks
        assertTrue(e.contains("(SHA-256 5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f)"), e);
        assertFalse(Files.exists(cache.resolve("ViT-B-16.safetensors")));
    }
}
