package dev.clipengine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 finding 9 for the Spark jar: {@code java -jar engine-spark.jar} on JDK 17 says "needs JDK 25 or
 * newer (found 17)" in one line and exits 2. Skipped, visibly, where /usr/lib/jvm has no JDK 17.
 */
class OldJdkIT {

    @Test
    void theSparkJarSaysWhichJdkItNeedsInOneLine(@TempDir Path tmp) throws Exception {
        Path java17 = null;
        if (Files.isDirectory(Path.of("/usr/lib/jvm"))) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/usr/lib/jvm"), "*17*")) {
                for (Path home : ds) if (java17 == null && Files.isExecutable(home.resolve("bin/java"))) java17 = home.resolve("bin/java");
            }
        }
        Assumptions.assumeTrue(java17 != null, "SKIPPED: no JDK 17 under /usr/lib/jvm to run engine-spark.jar with");
        Path jar = Path.of(System.getProperty("engine-spark.jar", "target/engine-spark.jar"));
        assertTrue(Files.isRegularFile(jar), "engine-spark.jar not built at " + jar.toAbsolutePath());
        Path err = tmp.resolve("err.txt"), out = tmp.resolve("out.txt");
        Process p = new ProcessBuilder(java17.toString(), "-jar", jar.toString(), "segment", "--help")
                .redirectError(err.toFile()).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "no answer in 60 s");
        String e = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), e);
        assertEquals("", Files.readString(out, StandardCharsets.UTF_8));
        List<String> lines = e.lines().toList();
        assertEquals(1, lines.size(), e);
        assertTrue(lines.get(0).startsWith("error: clip-engine needs JDK 25 or newer (found 17)"), e);
        assertFalse(e.contains("UnsupportedClassVersionError"), e);
    }
}
