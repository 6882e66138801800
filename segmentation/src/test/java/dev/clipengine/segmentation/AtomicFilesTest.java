package dev.clipengine.segmentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16 case 4 and 9: the atomic writer never replaces a special file, and cleans up after killed writers. */
class AtomicFilesTest {

    @TempDir
    Path tmp;

    static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).start();
        Assumptions.assumeTrue(mk.waitFor() == 0, "SKIPPED: mkfifo is not available");
    }

    @Test
    void aFifoADirectoryAndALinkToADeviceAreRefusedNotReplaced() throws Exception {
        Path fifo = tmp.resolve("out.png");
        mkfifo(fifo);
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(fifo, "x"));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        assertFalse(Files.isRegularFile(fifo), "the FIFO is still a FIFO");
        assertTrue(Files.exists(fifo));

        Path dir = Files.createDirectory(tmp.resolve("d.json"));
        assertTrue(assertThrows(IOException.class, () -> AtomicFiles.writeString(dir, "x")).getMessage().contains("a directory"));
        assertTrue(Files.isDirectory(dir));

        Path link = Files.createSymbolicLink(tmp.resolve("null.json"), Path.of("/dev/null"));
        assertThrows(IOException.class, () -> AtomicFiles.writeString(link, "x"));
        assertTrue(Files.isSymbolicLink(link));
        assertFalse(Files.isRegularFile(Path.of("/dev/null")));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(3, s.count(), "no temporary file left behind");
        }
    }

    @Test
    void leftoversOfDeadWritersAreCleanedThoseOfLiveOnesKept() throws Exception {
        Path sub = Files.createDirectory(tmp.resolve("out"));
        // a process that has exited: its pid is free (or reused by an unrelated process, which is then
        // mistaken for a live writer: the cost is a leftover kept, never a live writer's file deleted)
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long deadPid = gone.pid();
        Assumptions.assumeFalse(ProcessHandle.of(deadPid).isPresent(), "SKIPPED: pid reused at once");
        Path dead = Files.writeString(sub.resolve(".a.labels.png." + deadPid + "-123456.tmp"), "half");
        Path live = Files.writeString(sub.resolve(".b.json." + ProcessHandle.current().pid() + "-42.tmp"), "busy");
        Path other = Files.writeString(sub.resolve(".notes.tmp"), "not ours");
        AtomicFiles.writeString(sub.resolve("c.json"), "{}\n");
        assertFalse(Files.exists(dead), "a killed writer's temporary file is deleted");
        assertTrue(Files.exists(live), "a running writer's temporary file is kept");
        assertTrue(Files.exists(other), "files not named like ours are kept");
        assertEquals("{}\n", Files.readString(sub.resolve("c.json")));
    }
}
