package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 finding 9: on a machine whose default Java is 17, {@code java -jar engine.jar} used to fail with
 * {@code UnsupportedClassVersionError ... 69.0} and {@code mvn} with {@code Unrecognized option:
 * --sun-misc-unsafe-memory-access=allow}. Both now say "needs JDK 25 or newer (found 17)". Runs the built jar
 * (and Maven) with a JDK 17 from {@code /usr/lib/jvm}; skipped, visibly, where there is none.
 */
class OldJdkIT {

    record Run(int code, String out, String err) {
    }

    /** A JDK 17 java under /usr/lib/jvm (Debian/Ubuntu layout), if this machine has one. */
    static Optional<Path> java17() throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) return Optional.empty();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(jvms, "*17*")) {
            for (Path home : ds) {
                Path java = home.resolve("bin/java");
                if (Files.isExecutable(java)) return Optional.of(java);
            }
        }
        return Optional.empty();
    }

    static Run run(List<String> cmd, Map<String, String> env, Path dir, Path tmp) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt"), err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (dir != null) pb.directory(dir.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("no answer in 120 s: " + cmd);
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void theJarSaysWhichJdkItNeedsInOneLine(@TempDir Path tmp) throws Exception {
        Optional<Path> java17 = java17();
        Assumptions.assumeTrue(java17.isPresent(), "SKIPPED: no JDK 17 under /usr/lib/jvm to run engine.jar with");
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        assertTrue(Files.isRegularFile(jar), "engine.jar not built at " + jar.toAbsolutePath());
        for (String arg : new String[] {"--help", "segment"}) {
            Run r = run(List.of(java17.get().toString(), "-jar", jar.toString(), arg), Map.of(), null, tmp);
            assertEquals(2, r.code(), r.err());
            assertEquals("", r.out());
            List<String> lines = r.err().lines().toList();
            assertEquals(1, lines.size(), r.err());
            assertTrue(lines.get(0).startsWith("error: clip-engine needs JDK 25 or newer (found 17)"), lines.get(0));
            assertFalse(r.err().contains("UnsupportedClassVersionError"), r.err());
        }
    }

    @Test
    void mavenSaysItToo(@TempDir Path tmp) throws Exception {
        Optional<Path> java17 = java17();
        Assumptions.assumeTrue(java17.isPresent(), "SKIPPED: no JDK 17 under /usr/lib/jvm to run Maven with");
        Optional<Path> mvn = onPath("mvn");
        Assumptions.assumeTrue(mvn.isPresent(), "SKIPPED: no mvn on the PATH");
        // the checkout's root: engine/ is the working directory of this test
        Path root = Path.of("").toAbsolutePath().getParent();
        assertTrue(Files.isRegularFile(root.resolve(".mvn/jvm.config")), root.toString());
        Path home = java17.get().getParent().getParent();
        List<String> cmd = new ArrayList<>(List.of(mvn.get().toString(), "-B", "-o", "-q", "-N", "validate"));
        Run r = run(cmd, Map.of("JAVA_HOME", home.toString(), "PATH", home.resolve("bin") + ":/usr/bin:/bin", "MAVEN_OPTS", ""), root, tmp);
        String all = r.out() + r.err();
        assertTrue(r.code() != 0, all);
        assertFalse(all.contains("Unrecognized option"), all);
        assertTrue(all.contains("clip-engine needs JDK 25 or newer (found 17)"), all);
    }

    static Optional<Path> onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }
}
