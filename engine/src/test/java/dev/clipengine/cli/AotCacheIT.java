package dev.clipengine.cli;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code CLIP_ENGINE_AOT=on}: the first {@code segment} records and leaves an AOT cache in the user cache, the second
 * uses it; both print exactly their JSON lines on stdout and the same label map.
 */
class AotCacheIT {

    @Test
    void firstRunMakesTheCacheSecondUsesItOutputsUnchanged(@TempDir Path tmp) throws Exception {
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        assertTrue(Files.isRegularFile(jar), "engine.jar not built at " + jar.toAbsolutePath());
        List<?> images;
        try (var golden = Fixtures.golden()) {
            images = (List<?>) Json.parse(golden.metadata().get("images"));
        }
        Path image = Fixtures.dataset((String) images.get(0));
        Path cache = tmp.resolve("cache");
        byte[] first = run(jar, image, cache, tmp, "1");
        try (Stream<Path> s = Files.list(cache.resolve("aot"))) {
            List<Path> files = s.toList();
            assertEquals(1, files.size(), "one cache, no recording or temporary file left: " + files);
            assertTrue(files.getFirst().toString().endsWith(".aot") && Files.size(files.getFirst()) > 1 << 20);
        }
        byte[] second = run(jar, image, cache, tmp, "2");
        assertArrayEquals(first, second);
    }

    private static byte[] run(Path jar, Path image, Path cache, Path tmp, String name) throws Exception {
        Path out = tmp.resolve("out" + name);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "segment", "--model", Fixtures.clipTiny().resolve("hf").toString(),
                "--image", image.toString(), "--classes", "road,sky,car", "--size", "64", "--out", out.toString(), "--json"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(tmp.resolve(name + ".out").toFile())
                .redirectError(tmp.resolve(name + ".err").toFile());
        pb.environment().put("CLIP_ENGINE_CACHE", cache.toString());
        pb.environment().put("CLIP_ENGINE_AOT", "on");
        Process p = pb.start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS));
        String stdout = Files.readString(tmp.resolve(name + ".out")), stderr = Files.readString(tmp.resolve(name + ".err"));
        assertEquals(0, p.exitValue(), stderr);
        List<String> lines = stdout.lines().toList();
        assertEquals(1, lines.size(), "stdout is the JSON line only: " + stdout);
        assertTrue(Json.parse(lines.getFirst()) instanceof Map<?, ?>);
        assertTrue(stderr.lines().allMatch(l -> l.startsWith("segment:")), "stderr is progress only: " + stderr);
        try (Stream<Path> s = Files.list(out)) {
            return Files.readAllBytes(s.filter(f -> f.toString().endsWith(".labels.png")).findFirst().orElseThrow());
        }
    }
}
