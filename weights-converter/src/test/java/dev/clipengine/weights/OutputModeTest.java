package dev.clipengine.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 finding 7: a converted model has the mode the user's umask gives any new file (0644 under
 * 022, 0600 under 077): neither the 0600 that {@code Files.createTempFile} forces nor a fixed 0644.
 * Java cannot set its own umask, so each case runs a child JVM under {@code sh -c 'umask M; exec java ...'}.
 */
class OutputModeTest {

    @TempDir
    Path tmp;

    /** Child JVM entry: writes a one-tensor safetensors file at {@code args[0]}. */
    public static final class Writer {
        public static void main(String[] args) throws Exception {
            try (Arena arena = Arena.ofConfined()) {
                var data = arena.allocate(16);
                SafetensorsWriter.write(Path.of(args[0]), null, List.of(new Tensor("w", DType.F32, new long[] {4}, data)), null, 1);
            }
        }
    }

    static String writeUnder(String umask, Path file) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "SKIPPED: no /bin/sh to set a umask");
        Assumptions.assumeTrue(file.getFileSystem().supportedFileAttributeViews().contains("posix"), "SKIPPED: not a POSIX file system");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("/bin/sh", "-c", "umask " + umask + " && exec \"$@\"", "sh", java, "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Writer.class.getName(), file.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        assertEquals(0, p.exitValue(), output);
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    @Test
    void umask022GivesAModelEveryoneCanRead() throws Exception {
        assertEquals("rw-r--r--", writeUnder("022", tmp.resolve("a.safetensors")));
    }

    @Test
    void umask077KeepsTheModelPrivate() throws Exception {
        assertEquals("rw-------", writeUnder("077", tmp.resolve("b.safetensors")));
    }
}
