package dev.clipengine.segmentation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The worked examples of docs/training-free-methods.md §3.1 and §3.6. */
class SlideGeometryTest {

    @Test
    void mmcvRescaleExamples() {
        assertArrayEquals(new int[] {448, 336}, SlideGeometry.rescaleSize(500, 375, 2048, 336));
        assertArrayEquals(new int[] {505, 336}, SlideGeometry.rescaleSize(500, 333, 2048, 336));
        assertArrayEquals(new int[] {1120, 560}, SlideGeometry.rescaleSize(2048, 1024, 2048, 560));
        assertArrayEquals(new int[] {597, 448}, SlideGeometry.rescaleSize(500, 375, 2048, 448));
        assertArrayEquals(new int[] {896, 448}, SlideGeometry.rescaleSize(2048, 1024, 2048, 448));
        assertArrayEquals(new int[] {128, 96}, SlideGeometry.rescaleSize(160, 120, 2048, 96));
        // a panorama whose long side would pass 2048 is limited by it instead
        assertArrayEquals(new int[] {2048, 205}, SlideGeometry.rescaleSize(5000, 500, 2048, 336));
    }

    static List<int[]> boxes(int h, int w, int c, int t) {
        return SlideGeometry.windows(h, w, c, t).stream().map(b -> new int[] {b.y1(), b.x1(), b.y2(), b.x2()}).toList();
    }

    @Test
    void windowExamples() {
        List<int[]> voc = boxes(336, 448, 224, 112);
        assertEquals(6, voc.size());
        int[][] expected = {{0, 0, 224, 224}, {0, 112, 224, 336}, {0, 224, 224, 448}, {112, 0, 336, 224}, {112, 112, 336, 336},
                {112, 224, 336, 448}};
        for (int i = 0; i < 6; i++) assertArrayEquals(expected[i], voc.get(i));
        List<int[]> wide = boxes(336, 505, 224, 112);
        assertEquals(8, wide.size());
        assertArrayEquals(new int[] {0, 281, 224, 505}, wide.get(3), "last column shifted back to the border");
        assertEquals(36, boxes(560, 1120, 224, 112).size(), "City: 4 rows x 9 columns");
        List<int[]> clear = boxes(448, 597, 448, 224);
        assertEquals(2, clear.size());
        assertArrayEquals(new int[] {0, 149, 448, 597}, clear.get(1));
        assertEquals(8, boxes(448, 896, 224, 224).size(), "ClearCLIP City: 2x4 without overlap");
        // an image smaller than the crop is one window of its own size
        assertArrayEquals(new int[] {0, 0, 100, 150}, boxes(100, 150, 224, 112).getFirst());
    }
}
