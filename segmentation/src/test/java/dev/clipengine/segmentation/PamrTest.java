package dev.clipengine.segmentation;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** PAMR on hand-computed cases (docs/mid-layer-methods.md, "PAMR"). */
class PamrTest {

    /** A flat guide gives every neighbour the same weight: one step is the mean of the 8 clamped neighbours. */
    @Test
    void flatGuideAveragesTheClampedNeighbours() {
        int h = 3, w = 3;
        float[] map = new float[h * w];
        for (int i = 0; i < map.length; i++) map[i] = i;   // 0 1 2 / 3 4 5 / 6 7 8
        float[] guide = new float[3 * h * w];
        java.util.Arrays.fill(guide, 0.25f);
        float[] once = new Pamr(1, new int[] {1}).refine(map, 1, guide, 3, h, w);
        // centre: mean of all 8 others = (36 - 4) / 8 = 4; corner (0,0): neighbours (clamped)
        // (-1,-1)→0 (-1,0)→0 (-1,1)→1 (0,-1)→0 (0,1)→1 (1,-1)→3 (1,0)→3 (1,1)→4: 12 / 8 = 1.5
        assertEquals(4f, once[4], 1e-6f);
        assertEquals(1.5f, once[0], 1e-6f);
        // bottom-right (2,2): 4 5 5 / 7 8 / 7 8 8 → 52 / 8 = 6.5
        assertEquals(6.5f, once[8], 1e-6f);
    }

    /** Affinities are a softmax: a constant map stays constant whatever the guide. */
    @Test
    void constantMapsStayConstant() {
        int h = 7, w = 5;
        java.util.Random rnd = new java.util.Random(3);
        float[] guide = new float[3 * h * w];
        for (int i = 0; i < guide.length; i++) guide[i] = rnd.nextFloat() * 4 - 2;
        float[] map = new float[2 * h * w];
        java.util.Arrays.fill(map, 0, h * w, 0.7f);
        java.util.Arrays.fill(map, h * w, 2 * h * w, -1.25f);
        float[] out = Pamr.standard().refine(map, 2, guide, 3, h, w);
        for (int i = 0; i < h * w; i++) {
            assertEquals(0.7f, out[i], 1e-5f);
            assertEquals(-1.25f, out[h * w + i], 1e-5f);
        }
    }

    /** Across a strong edge of the guide the weights vanish: a map that follows the edge is kept. */
    @Test
    void edgesOfTheGuideHoldTheMap() {
        int h = 6, w = 8;
        float[] guide = new float[3 * h * w], map = new float[h * w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) guide[(c * h + y) * w + x] = x < 4 ? -1f : 1f;
            }
        }
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) map[y * w + x] = x < 4 ? 0f : 1f;
        float[] out = new Pamr(5, new int[] {1}).refine(map, 1, guide, 3, h, w);
        for (int i = 0; i < map.length; i++) assertEquals(map[i], out[i], 1e-4f, "pixel " + i);
    }

    @Test
    void zeroStepsIsTheIdentityAndBadSettingsFail() {
        float[] map = {1, 2, 3, 4};
        assertEquals(java.util.List.of(1f, 2f, 3f, 4f),
                toList(new Pamr(0, new int[] {8}).refine(map, 1, new float[12], 3, 2, 2)));
        assertThrows(IllegalArgumentException.class, () -> new Pamr(-1, new int[] {8}));
        assertThrows(IllegalArgumentException.class, () -> new Pamr(1, new int[] {0}));
        assertThrows(IllegalArgumentException.class, () -> new Pamr(1, new int[] {}).steps());
    }

    private static java.util.List<Float> toList(float[] a) {
        java.util.List<Float> l = new java.util.ArrayList<>();
        for (float v : a) l.add(v);
        return l;
    }
}
