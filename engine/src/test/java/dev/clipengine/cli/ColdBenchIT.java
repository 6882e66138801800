package dev.clipengine.cli;

import dev.clipengine.model.RandomWeights;
import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.DType;
import dev.clipengine.weights.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bench --cold} on the real jar (it starts the jar again for every run), with a tiny random model: the report's
 * shape and that its figures are those of real child JVMs. Not a timing test.
 */
class ColdBenchIT {

    static final ClipConfig TINY = new ClipConfig(16, 32, 8, 32, 2, 2, 64, 77, 49408, 24, 2, 3, 48);

    static ProcessResult run(Path tmp, List<String> args) throws Exception {
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        assertTrue(Files.isRegularFile(jar), "engine.jar not built at " + jar.toAbsolutePath());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        cmd.addAll(args);
        Path out = tmp.resolve("stdout.txt"), err = tmp.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "bench --cold did not finish");
        return new ProcessResult(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    record ProcessResult(int code, String out, String err) {
    }

    @Test
    void reportsFirstCachedAndWarmRunsOfNewJvms(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("tiny.safetensors");
        RandomWeights.write(model, TINY, DType.F16, 1);
        ProcessResult r = run(tmp, List.of("bench", "--cold", "--model", model.toString(), "--size", "64",
                "--repeat", "3", "--warmup", "1", "--jvm-option", "-Xmx300m", "--json"));
        assertEquals(0, r.code(), r.err());
        Map<?, ?> m = (Map<?, ?>) Json.parse(r.out().strip());
        assertEquals(List.of("-Xmx300m"), m.get("jvm_options"));
        assertEquals(6L, ((Number) m.get("classes")).longValue());
        for (String k : List.of("first_cold", "cached_cold")) {
            Map<?, ?> c = (Map<?, ?>) m.get(k);
            double wall = ((Number) c.get("wall_s")).doubleValue(), cpu = ((Number) c.get("cpu_s")).doubleValue();
            long rss = ((Number) c.get("peak_rss_mb")).longValue();
            // two JVM starts and a model load: more than 0.2 s of wall and CPU, a JVM's worth of memory
            assertTrue(wall > 0.2 && wall < 120, k + " wall " + wall);
            assertTrue(cpu > 0.2, k + " cpu " + cpu);
            assertTrue(rss > 30 && rss < 2000, k + " peak RSS " + rss);
        }
        assertEquals(3L, ((Number) m.get("warm_images")).longValue());
        double warm = ((Number) m.get("warm_image_s")).doubleValue();
        assertTrue(warm > 0 && warm < 5, "warm " + warm);
        double first = ((Number) ((Map<?, ?>) m.get("first_cold")).get("wall_s")).doubleValue();
        assertEquals(first / warm, ((Number) m.get("first_over_warm")).doubleValue(), 0.01 * first / warm);
        assertTrue(first / warm > 1, "a new JVM costs more than a warm image");
    }

    @Test
    void printsATableAndRefusesAMissingModelInOneLine(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("tiny.safetensors");
        RandomWeights.write(model, TINY, DType.BF16, 2);
        ProcessResult r = run(tmp, List.of("bench", "--cold", "--model", model.toString(), "--size", "64",
                "--repeat", "1", "--warmup", "0"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("first run (empty user cache)"), r.out());
        assertTrue(r.out().contains("warm, per image"), r.out());

        ProcessResult bad = run(tmp, List.of("bench", "--cold", "--model", tmp.resolve("nope.safetensors").toString()));
        assertEquals(ClipCli.EXIT_BAD_INPUT, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
    }
}
