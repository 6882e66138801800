package dev.clipengine.heads;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ZegCLIP's VOC inductive fixture (zegclip-tiny/zegclip). */
class ZegclipConformanceTest extends ZegclipHeadConformanceTest {
    ZegclipConformanceTest() {
        super("zegclip", "zegclip-voc-inductive-tiny.pth");
    }

    @Test
    void family() {
        assertEquals(ZegclipHead.Family.ZEGCLIP, head.family());
        assertTrue(!head.hasTrustyToken());
    }

    @Test
    void labelMap() throws IOException {
        labelMap("", true);
    }

    @Test
    void windowAverage() throws IOException {
        windowAverage("", true);
    }
}
