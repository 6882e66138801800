package dev.clipengine.segmentation;

import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DenoiseTest {

    @Test
    void clsRowSubtractsAndClamps() {
        // L = 3: CLS + 2 patches
        float[] w = {
                1.0f, 0.2f, 0.5f,
                0.2f, 1.0f, 0.4f,
                0.5f, 0.4f, 1.0f};
        float[] m = Denoise.clsRow(w, 3);
        assertArrayEquals(new float[] {1.0f - 0.2f, 0f, 0.4f - 0.2f, 1.0f - 0.5f}, m);
    }

    @Test
    void clsRowIsFp32Exact() {
        SplittableRandom rnd = new SplittableRandom(1);
        int l = 17;
        float[] w = new float[l * l];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextDouble() * 2 - 1);
        float[] m = Denoise.clsRow(w, l);
        for (int i = 0; i < l - 1; i++) {
            for (int j = 0; j < l - 1; j++) {
                float v = w[(i + 1) * l + j + 1] - w[j + 1];
                assertEquals(v < 0 ? 0f : v, m[i * (l - 1) + j]);
            }
        }
    }

    @Test
    void clsRowOfGoldenWHasNonNegativeRows() throws Exception {
        try (SafetensorsFile f = Fixtures.golden()) {
            float[] w = f.tensor("img0.s96.trasepos.trase.W").toFloatArray();
            int l = (int) Math.round(Math.sqrt(w.length));
            float[] m = Denoise.clsRow(w, l);
            assertEquals((l - 1) * (l - 1), m.length);
            for (float v : m) assertTrue(v >= 0f && v <= 2f);
        }
    }

    @Test
    void selfWeightMarksPatchesBelowRowMean() {
        // CLS + 4 patches; patch 2 has a self-weight below its row mean (a "global" patch)
        float[] w = {
                9, 9, 9, 9, 9,
                9, 0.9f, 0.1f, 0.0f, 0.0f,
                9, 0.4f, 0.3f, 0.4f, 0.5f,
                9, 0.0f, 0.1f, 0.8f, 0.1f,
                9, 0.0f, 0.2f, 0.1f, 0.7f};
        Denoise.SelfWeight sw = Denoise.selfWeight(w, 5);
        assertArrayEquals(new boolean[] {false, true, false, false}, sw.global());
        assertArrayEquals(new int[] {0, 2, 3}, sw.kept());
        assertEquals(1, sw.globalCount());
        assertArrayEquals(new float[] {0.9f, 0.0f, 0.0f, 0.0f, 0.8f, 0.1f, 0.0f, 0.1f, 0.7f}, sw.features());
        assertArrayEquals(new int[] {0, -1, 1, -1}, sw.expandLabels(new int[] {0, 1, -1}));
        // the patch block is returned unchanged (no CLS subtraction, no clamp)
        assertEquals(0.4f, sw.m()[4]);
    }

    @Test
    void selfWeightOnCosineNeedsRatioAboveOne() {
        // cosine correlations: diagonal 1, entries <= 1 -> ratio 1 never marks a patch
        SplittableRandom rnd = new SplittableRandom(2);
        int l = 10;
        float[] w = new float[l * l];
        for (int i = 0; i < l; i++) {
            for (int j = 0; j < l; j++) w[i * l + j] = i == j ? 1f : (float) rnd.nextDouble();
        }
        Denoise.SelfWeight sw = Denoise.selfWeight(w, l);
        for (boolean g : sw.global()) assertFalse(g);
        assertEquals(l - 1, sw.kept().length);
        // a huge ratio marks everything
        Denoise.SelfWeight all = Denoise.selfWeight(w, l, 100.0);
        assertEquals(l - 1, all.globalCount());
        assertEquals(0, all.features().length);
        // monotone in ratio
        int prev = -1;
        for (double r = 0; r <= 4; r += 0.25) {
            int c = Denoise.selfWeight(w, l, r).globalCount();
            assertTrue(c >= prev);
            prev = c;
        }
    }
}
