package dev.clipengine.heads;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TagCLIP's VOC inductive fixture (zegclip-tiny/tagclip), with and without the trusty weighting. */
class TagclipConformanceTest extends ZegclipHeadConformanceTest {
    TagclipConformanceTest() {
        super("tagclip", "tagclip-voc-inductive-tiny.pth");
    }

    @Test
    void family() {
        assertEquals(ZegclipHead.Family.TAGCLIP, head.family());
        assertTrue(head.hasTrustyToken());
    }

    @Test
    void weightedLabelMap() throws IOException {
        labelMap("weighted.", true);
    }

    @Test
    void unweightedLabelMap() throws IOException {
        labelMap("unweighted.", false);
    }

    @Test
    void weightedWindowAverage() throws IOException {
        windowAverage("weighted.", true);
    }

    @Test
    void unweightedWindowAverage() throws IOException {
        windowAverage("unweighted.", false);
    }
}
