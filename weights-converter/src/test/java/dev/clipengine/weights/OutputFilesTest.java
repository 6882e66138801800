package dev.clipengine.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 case 4: {@code convert -o} on a FIFO or a link to a device is refused in one line and leaves
 * it as it was (as root the old writer turned {@code /dev/null} into a regular file); a killed
 * converter's temporary file is cleaned by the next conversion.
 */
class OutputFilesTest {

    @TempDir
    Path tmp;

    @Test
    void convertRefusesSpecialFilesAndLeavesThemAlone() throws Exception {
        Path fifo = tmp.resolve("fifo.safetensors");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(mk.waitFor() == 0, "SKIPPED: mkfifo is not available");
        Path link = Files.createSymbolicLink(tmp.resolve("null.safetensors"), Path.of("/dev/null"));
        for (Path target : new Path[] {fifo, link}) {
            CommandsTest.Result r = CommandsTest.run("convert", Fixtures.hfDir().toString(), "-o", target.toString());
            CommandsTest.assertCleanError(r, 1);
            assertTrue(r.err().contains("not a regular file (a device, FIFO or socket); refusing to replace it"), r.err());
            assertFalse(Files.isRegularFile(target, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        }
        assertTrue(Files.isSymbolicLink(link));
        assertFalse(Files.isRegularFile(Path.of("/dev/null")));
    }

    @Test
    void aKilledConvertersTemporaryFileIsCleanedByTheNextOne() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Assumptions.assumeFalse(ProcessHandle.of(gone.pid()).isPresent(), "SKIPPED: pid reused at once");
        Path out = tmp.resolve("m.safetensors");
        Path leftover = Files.writeString(tmp.resolve(".m.safetensors." + gone.pid() + "-99.part"), "half a file");
        CommandsTest.Result r = CommandsTest.run("convert", Fixtures.hfDir().toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertFalse(Files.exists(leftover));
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "only the output is left");
        }
    }
}
