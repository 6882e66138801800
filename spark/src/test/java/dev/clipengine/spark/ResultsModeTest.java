package dev.clipengine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 finding 7 for the table Spark writes: Hadoop's local file system gives it 0644 whatever the
 * umask; {@link Outputs#applyUmask} brings it to what the umask gives a new file. Java cannot set its
 * own umask, so each case runs a child JVM under {@code sh -c 'umask M; exec java ...'}.
 */
class ResultsModeTest {

    @TempDir
    Path tmp;

    /** Child JVM entry: a file made 0644 as Hadoop makes it, then aligned with the umask. */
    public static final class Writer {
        public static void main(String[] args) throws Exception {
            Path f = Files.writeString(Path.of(args[0]), "table");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
            Outputs.applyUmask(f);
        }
    }

    String writeUnder(String umask) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "SKIPPED: no /bin/sh to set a umask");
        Path dir = Files.createDirectory(tmp.resolve("u" + umask)), file = dir.resolve("results.parquet");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("/bin/sh", "-c", "umask " + umask + " && exec \"$@\"", "sh", java, "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Writer.class.getName(), file.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        assertEquals(0, p.exitValue(), output);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "the probe is gone");
        }
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    @Test
    void theTableFollowsTheUmask() throws Exception {
        assertEquals("rw-------", writeUnder("077"));
        assertEquals("rw-r--r--", writeUnder("022"));
        assertEquals("rw-rw-r--", writeUnder("002"));
    }
}
