package dev.clipengine.segmentation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 finding 7: an output written through the temporary file and the rename has the mode the
 * user's umask gives any new file (0644 under 022, 0600 under 077), not the 0600 that
 * {@code Files.createTempFile} forces. Java cannot set its own umask, so each case runs a child JVM
 * started by {@code sh -c 'umask M; exec java ...'}.
 */
class OutputModeTest {

    @TempDir
    Path tmp;

    /** Child JVM entry: writes {@code args[0]} (twice: a new file, then a replaced one) and a label map. */
    public static final class Writer {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            AtomicFiles.writeString(dir.resolve("new.json"), "{}\n");
            Files.writeString(dir.resolve("old.json"), "old\n");
            AtomicFiles.writeString(dir.resolve("old.json"), "{}\n");
            LabelMapWriter.writePng(dir.resolve("labels.png"), new int[] {0, 1, 1, 0}, 2, 2, 2);
        }
    }

    static void writeUnder(String umask, Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "SKIPPED: no /bin/sh to set a umask");
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "SKIPPED: not a POSIX file system");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("/bin/sh", "-c", "umask " + umask + " && exec \"$@\"", "sh", java, "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Writer.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        assertEquals(0, p.exitValue(), output);
    }

    static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void umask022GivesFilesEveryoneCanRead() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("u022"));
        writeUnder("022", dir);
        for (String f : new String[] {"new.json", "old.json", "labels.png"}) assertEquals("rw-r--r--", mode(dir.resolve(f)), f);
    }

    @Test
    void umask077KeepsFilesPrivate() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("u077"));
        writeUnder("077", dir);
        for (String f : new String[] {"new.json", "old.json", "labels.png"}) assertEquals("rw-------", mode(dir.resolve(f)), f);
    }
}
