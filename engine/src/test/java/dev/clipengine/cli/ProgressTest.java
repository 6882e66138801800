package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.Fixtures;
import dev.clipengine.cli.HelpAndRoughEdgesTest.Run;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 18 finding 6: a step that lasts is announced on stderr, with its duration; a short one is not. */
class ProgressTest {

    @TempDir
    Path tmp;

    static final class Buffer {
        final StringWriter text = new StringWriter();
        final PrintWriter err = new PrintWriter(text, true);

        List<String> lines() {
            return text.toString().lines().toList();
        }
    }

    @Test
    void aStepThatLastsIsAnnouncedThenTimedInPlainLines() throws Exception {
        Buffer b = new Buffer();
        String result = new Progress(b.err, "segment", 50, false).step("loading the model m.safetensors", () -> {
            Thread.sleep(400);
            return "model";
        });
        assertEquals("model", result);
        List<String> lines = b.lines();
        assertEquals(2, lines.size(), b.text.toString());
        assertEquals("segment: loading the model m.safetensors …", lines.get(0));
        assertTrue(lines.get(1).matches("segment: loading the model m\\.safetensors: done in 0\\.[4-9] s|.*done in [1-9]\\.\\d s"), lines.get(1));
    }

    @Test
    void aShortStepSaysNothing() {
        Buffer b = new Buffer();
        assertEquals(42, new Progress(b.err, "segment", 10_000, false).step("text features", () -> 42));
        assertEquals("", b.text.toString());
    }

    @Test
    void onATerminalTheEndCompletesTheAnnouncementsLine() throws Exception {
        Buffer b = new Buffer();
        new Progress(b.err, "segment", 20, true).step("writing a.*", () -> {
            Thread.sleep(300);
            return null;
        });
        List<String> lines = b.lines();
        assertEquals(1, lines.size(), b.text.toString());
        assertTrue(lines.get(0).matches("segment: writing a\\.\\* … \\d+\\.\\d s"), lines.get(0));
    }

    @Test
    void aFailedStepSaysSoAndRethrows() {
        Buffer b = new Buffer();
        IOException e = assertThrows(IOException.class, () -> new Progress(b.err, "segment", 20, false).step("loading the model x", () -> {
            Thread.sleep(300);
            throw new IOException("x: no such file");
        }));
        assertEquals("x: no such file", e.getMessage());
        assertTrue(b.lines().get(1).startsWith("segment: loading the model x: failed after "), b.text.toString());
    }

    /** Through the command: with the threshold at 0 every step is announced; the model load and text features last. */
    @Test
    void segmentAnnouncesItsSteps() throws Exception {
        Path img = NewcomerCommandLineTest.png(tmp.resolve("a.png"), 64, 48, 0);
        System.setProperty(Progress.AFTER_PROPERTY, "0");
        Run r;
        try {
            r = HelpAndRoughEdgesTest.run("segment", "--model", Fixtures.clipTiny().resolve("hf").toString(), img.toString(),
                    "--classes", "progress-road, progress-sky", "--size", "64", "--out", tmp.resolve("out").toString());
        } finally {
            System.clearProperty(Progress.AFTER_PROPERTY);
        }
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("segment: loading the model hf …\n") && r.err().contains("segment: loading the model hf: done in "), r.err());
        assertTrue(r.err().contains("segment: computing text features (2 names x 80 templates) …\n")
                && r.err().contains("segment: computing text features (2 names x 80 templates): done in "), r.err());
        for (String line : r.errLines()) assertTrue(line.startsWith("segment: "), "only progress lines: " + r.err());
    }
}
