package dev.clipengine.segmentation;

import dev.clipengine.segmentation.WholeImageGeometry.Window;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WholeImageGeometryTest {

    @Test
    void aPanoramaRunsInTwoWindowsThatSplitTheirOverlapInTheMiddle() {
        // 1600x300 at 336: 336 / 300 = 1.12, 1600 * 1.12 = 1792 = 112 patches; one pass holds 1024 px
        WholeImageGeometry g = WholeImageGeometry.of(1600, 300, 336, 16, 1024);
        assertEquals(1792, g.resizedWidth());
        assertEquals(336, g.resizedHeight());
        // windows of 1024 at 0 and 768 (= 1792 - 1024); overlap [768, 1024), cut at 896 -> 896 * 1600 / 1792 = 800
        assertEquals(List.of(
                new Window(0, 0, 1024, 336, 0, 0, 914, 300, 0, 0, 800, 300),       // covers [0, 914.3)
                new Window(768, 0, 1024, 336, 686, 0, 914, 300, 114, 0, 914, 300)), // covers [685.7, 1600)
                g.windows());
    }

    @Test
    void aPortraitIsTheSameAlongItsHeight() {
        WholeImageGeometry g = WholeImageGeometry.of(300, 1600, 336, 16, 1024);
        assertEquals(336, g.resizedWidth());
        assertEquals(1792, g.resizedHeight());
        assertEquals(new Window(0, 768, 336, 1024, 0, 686, 300, 914, 0, 114, 300, 914), g.windows().get(1));
    }

    @Test
    void anImageThatFitsOnePassIsOneWindowOverEverything() {
        // 300x170 at 128: 300 * 128 / 170 = 225.9 -> 224 (14 patches), the formula of the earlier full protocol
        WholeImageGeometry g = WholeImageGeometry.of(300, 170, 128, 16, 1024);
        assertEquals(List.of(new Window(0, 0, 224, 128, 0, 0, 300, 170, 0, 0, 300, 170)), g.windows());
        assertEquals(List.of(new Window(0, 0, 336, 336, 0, 0, 7, 7, 0, 0, 7, 7)), WholeImageGeometry.of(7, 7, 336, 16, 1024).windows());
        // a 2:1 image at 336 is 672 wide: still one pass, as is anything up to 1024
        assertEquals(1, WholeImageGeometry.of(2048, 1024, 336, 16, 1024).windows().size());
        assertEquals(1, WholeImageGeometry.of(3040, 1000, 336, 16, 1024).windows().size());
        assertArrayEquals(new long[] {1024, 336}, WholeImageGeometry.resized(3040, 1000, 336, 16));
    }

    @Test
    void aStripIsSqueezedToTheMostWindowsAllowed() {
        WholeImageGeometry g = WholeImageGeometry.of(100_000, 1, 336, 16, 1024);
        assertEquals(WholeImageGeometry.MAX_WINDOWS, g.windows().size());
        assertEquals(1024 + (WholeImageGeometry.MAX_WINDOWS - 1) * 768, g.resizedWidth());
        checkCover(g, 16, 1024);
    }

    @Test
    void windowsCoverTheImageExactlyOnceWithAQuarterOverlap() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int t = 0; t < 2000; t++) {
            int size = 32 + 16 * rnd.nextInt(20), patch = rnd.nextBoolean() ? 16 : 14;
            int w = 1 + rnd.nextInt(t % 3 == 0 ? 40 : 6000), h = 1 + rnd.nextInt(t % 5 == 0 ? 30 : 3000);
            int max = Math.max(size, 1024);
            checkCover(WholeImageGeometry.of(w, h, size, patch, max), patch, max / patch * patch);
        }
    }

    /** Owned spans tile the long axis; inputs are patch-aligned windows of the resized image no longer than one pass. */
    private static void checkCover(WholeImageGeometry g, int patch, int window) {
        boolean wide = g.width() > g.height();
        int expect = 0;
        Window prev = null;
        for (Window w : g.windows()) {
            String at = g + " " + w;
            int start = wide ? w.x() : w.y(), len = wide ? w.width() : w.height();
            int mapStart = wide ? w.mapX() : w.mapY(), k0 = wide ? w.keepX0() : w.keepY0(), k1 = wide ? w.keepX1() : w.keepY1();
            assertTrue(len <= Math.max(window, wide ? g.resizedWidth() : g.resizedHeight()) && start + len <= (wide ? g.resizedWidth() : g.resizedHeight()), at);
            if (g.windows().size() > 1) {
                assertEquals(0, start % patch, at);
                assertEquals(window, len, at);
            }
            assertEquals(expect, mapStart + k0, at + ": owned spans must tile the image");
            assertTrue(k0 < k1 && k1 <= (wide ? w.mapWidth() : w.mapHeight()), at);
            expect = mapStart + k1;
            if (prev != null) {
                int overlap = (wide ? prev.x() + prev.width() : prev.y() + prev.height()) - start;
                assertTrue(overlap >= window / 4 - patch, at + ": overlap " + overlap);
            }
            // the short axis is whole
            assertEquals(wide ? g.height() : g.width(), wide ? w.keepY1() - w.keepY0() : w.keepX1() - w.keepX0(), at);
            prev = w;
        }
        assertEquals(wide ? g.width() : g.height(), expect, g + ": the last window ends at the image's end");
    }
}
