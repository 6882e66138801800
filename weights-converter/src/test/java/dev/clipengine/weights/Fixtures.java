package dev.clipengine.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** The clip-tiny fixtures under {@code ${clip.shared}/fixtures/clip-tiny} (default: the repository's testdata/), and shared assertions. */
final class Fixtures {

    /** The fixture model's architecture (README: embed 32, image 64, patch 16, ...). */
    static final ClipConfig GOLDEN = new ClipConfig(32, 64, 16, 64, 3, 4, 256, 77, 49408, 32, 2, 2, 128);
    /** The fixture's heads: its widths are below 64, so OpenAI's width/64 rule cannot give them. */
    static final HeadCounts TINY_HEADS = new HeadCounts(4, 2);

    private Fixtures() {
    }

    /**
     * The fixture folder (Maven passes the repository's {@code testdata/}, or {@code -Dclip.shared}); the calling test
     * is reported as skipped, with the reason, when it is missing.
     */
    static Path dir() {
        String shared = System.getProperty("clip.shared");
        Assumptions.assumeTrue(shared != null && !shared.isBlank(),
                "SKIPPED: system property clip.shared is not set (run through Maven, or pass -Dclip.shared=/path/to/shared)");
        Path d = Path.of(shared, "fixtures", "clip-tiny");
        Assumptions.assumeTrue(Files.isDirectory(d),
                "SKIPPED: fixture folder " + d + " is missing (clip.shared=" + shared + ")");
        return d;
    }

    static Path openClip() {
        return file("open_clip_model.safetensors");
    }

    static Path hfDir() {
        return file("hf");
    }

    static Path file(String name) {
        Path p = dir().resolve(name);
        // the other weight formats are not in the repository's test data (size): testdata/README.md
        Assumptions.assumeTrue(Files.exists(p), "SKIPPED: fixture " + p + " is missing (not in the repository's test data,"
                + " testdata/README.md; run with -Dclip.shared=<folder holding fixtures/clip-tiny/" + name + "> to include it)");
        return p;
    }

    /** The exception's message names {@code file} and is one line. */
    static void assertOneLineNaming(Exception e, Path file) {
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()), () -> "message does not name " + file + ": " + m);
        assertFalse(m.contains("\n") || m.contains("\r"), () -> "message is not one line: " + m);
    }

    /** Same names in the same order, same dtypes and shapes, same bytes. */
    static void assertBitIdentical(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet().stream().toList(), actual.keySet().stream().toList());
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            Tensor a = e.getValue(), b = actual.get(e.getKey());
            assertEquals(a.dtype(), b.dtype(), e.getKey());
            assertArrayEquals(a.shape(), b.shape(), e.getKey());
            assertEquals(-1, a.data().mismatch(b.data()), () -> e.getKey() + " differs");
        }
    }
}
