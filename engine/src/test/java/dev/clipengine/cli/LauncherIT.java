package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 16 case 5: killing {@code java -jar engine.jar} (the launcher) with SIGKILL or SIGTERM in the
 * middle of a long {@code segment} batch stops the re-launched worker JVM too, within a second or two,
 * and nothing more is written afterwards (it used to run on: 117 of 120 outputs came after the kill);
 * killing the worker ends the launcher with the worker's status.
 */
class LauncherIT {

    @ParameterizedTest
    @ValueSource(strings = {"KILL", "TERM", "WORKER"})
    void theWorkerDiesWithTheLauncher(String signal, @TempDir Path tmp) throws Exception {
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        assertTrue(Files.isRegularFile(jar), "engine.jar not built at " + jar.toAbsolutePath());
        List<?> images;
        try (var golden = Fixtures.golden()) {
            images = (List<?>) Json.parse(golden.metadata().get("images"));
        }
        Path image = Fixtures.dataset((String) images.get(0));
        Path in = Files.createDirectory(tmp.resolve("in"));
        for (int i = 0; i < 2000; i++) Files.createSymbolicLink(in.resolve(String.format("img%04d.png", i)), image.toAbsolutePath());
        Path out = tmp.resolve("out");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "segment", "--model", Fixtures.clipTiny().resolve("hf").toString(),
                "--image", in.toString(), "--vocabulary", "VOC20", "--size", "64", "--out", out.toString()));
        Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("log.txt").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (jsonCount(out) < 3) {
                assertTrue(launcher.isAlive(), "the batch ended early: " + Files.readString(tmp.resolve("log.txt")));
                assertTrue(System.nanoTime() < deadline, "no output after 90 s");
                Thread.sleep(20);
            }
            List<ProcessHandle> workers = launcher.descendants().toList();
            assertFalse(workers.isEmpty(), "the launcher re-launched no worker JVM");
            switch (signal) {
                case "KILL" -> launcher.destroyForcibly();
                case "TERM" -> launcher.destroy();
                default -> workers.forEach(ProcessHandle::destroyForcibly); // the launcher dies with its worker
            }
            assertTrue(launcher.waitFor(10, TimeUnit.SECONDS), "the launcher did not end");
            if (signal.equals("WORKER")) assertEquals(137, launcher.exitValue(), "the worker's SIGKILL status is passed on");
            for (ProcessHandle w : workers) {
                w.onExit().get(5, TimeUnit.SECONDS); // throws TimeoutException if the worker outlives it
                assertFalse(w.isAlive());
            }
            long after = jsonCount(out);
            Thread.sleep(500);
            assertEquals(after, jsonCount(out), "outputs still appear after the kill");
            assertTrue(after < 2000, "the batch finished before the kill; make it longer");
        } finally {
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
    }

    /** JDK_JAVA_OPTIONS reach the worker once: forwarded with the launcher's options, not added again by its launcher. */
    @org.junit.jupiter.api.Test
    void jdkJavaOptionsReachTheWorkerOnce(@TempDir Path tmp) throws Exception {
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        assertTrue(Files.isRegularFile(jar), "engine.jar not built at " + jar.toAbsolutePath());
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "--version").redirectErrorStream(true).redirectOutput(tmp.resolve("log.txt").toFile());
        pb.environment().put("JDK_JAVA_OPTIONS", "-Dclipengine.launcher.probe=1");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "engine.jar --version did not end");
        String log = Files.readString(tmp.resolve("log.txt"));
        assertEquals(0, p.exitValue(), log);
        // each java launcher that reads the variable says so once on stderr: the launcher JVM, and not the worker
        assertEquals(1, log.split("Picked up JDK_JAVA_OPTIONS", -1).length - 1, log);
    }

    static long jsonCount(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).count();
        }
    }
}
