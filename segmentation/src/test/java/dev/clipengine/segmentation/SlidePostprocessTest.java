package dev.clipengine.segmentation;

import dev.clipengine.kernels.Resample;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The streaming upsampling and the decision rules of §3.8–3.9 on hand-made logits. */
class SlidePostprocessTest {

    @Test
    void rowsAreBitIdenticalToResample() {
        Random r = new Random(3);
        int[][] shapes = {{4, 4, 64, 64}, {14, 14, 224, 224}, {6, 8, 120, 160}, {96, 128, 120, 160}, {7, 5, 7, 5}, {3, 9, 40, 20}};
        for (int[] s : shapes) {
            int c = 5;
            float[] src = new float[c * s[0] * s[1]];
            for (int i = 0; i < src.length; i++) src[i] = r.nextFloat() * 2 - 1;
            float[] expected = Resample.bilinear(src, c, s[0], s[1], s[2], s[3]);
            float[] got = new BilinearRows(s[0], s[1], s[2], s[3]).all(src, c);
            assertArrayEquals(expected, got, java.util.Arrays.toString(s));
        }
    }

    /** A 1×1 map upsampled is constant, so each case is one logit vector decided at every pixel. */
    static int decide(SlidePostprocess p, float... logits) {
        int[] labels = p.labels(logits, 1, 1, 2, 2);
        for (int l : labels) assertEquals(labels[0], l);
        return labels[0];
    }

    @Test
    void synonymsPoolByMaximumAndTiesGoToTheLowerClass() {
        // queries: class 0 has two names, class 1 one, class 2 two
        SlidePostprocess p = new SlidePostprocess(new int[] {0, 0, 1, 2, 2}, 3, 40f, 0f, null);
        assertEquals(2, decide(p, 0.1f, 0.2f, 0.25f, 0.1f, 0.3f));
        assertEquals(1, decide(p, 0.1f, 0.2f, 0.3f, 0.1f, 0.3f), "equal best logits: the lower class");
        assertEquals(0, decide(p, 0.31f, 0.2f, 0.3f, 0.1f, 0.3f));
    }

    @Test
    void probabilityThresholdUsesTheJointSoftmax() {
        // best query 0.30, another class 0.28, three background synonyms at 0.0; scale 50:
        // P(best) = 1 / (1 + e^(-1) + 3 e^(-15)) = 0.7310558...
        SlidePostprocess low = new SlidePostprocess(new int[] {0, 0, 0, 1, 2}, 3, 50f, 0.73f, null);
        SlidePostprocess high = new SlidePostprocess(new int[] {0, 0, 0, 1, 2}, 3, 50f, 0.7311f, null);
        float[] l = {0f, 0f, 0f, 0.30f, 0.28f};
        assertEquals(1, decide(low, l));
        assertEquals(0, decide(high, l));
    }

    @Test
    void areaThresholdDropsSmallClassesButNeverClassZero() {
        // 10 pixels in a row: 1 pixel class 2, 5 class 1, 4 class 0; with area_thd 0.2 class 2 (1/6 of the
        // non-background pixels) is dropped and falls to its runner-up
        int n = 10;
        float[] logits = new float[3 * n];
        for (int x = 0; x < n; x++) {
            int winner = x == 0 ? 2 : x < 6 ? 1 : 0;
            logits[winner * n + x] = 0.3f;
            logits[(winner == 2 ? 0 : 2) * n + x] = 0.2f;     // runner-up of the class-2 pixel is class 0
        }
        SlidePostprocess p = new SlidePostprocess(new int[] {0, 1, 2}, 3, 40f, 0f, 0.2f);
        int[] labels = p.labels(logits, 1, n, 1, n);
        assertArrayEquals(new int[] {0, 1, 1, 1, 1, 1, 0, 0, 0, 0}, labels);
        SlidePostprocess keep = new SlidePostprocess(new int[] {0, 1, 2}, 3, 40f, 0f, 0.1f);
        assertEquals(2, keep.labels(logits, 1, n, 1, n)[0], "1/6 > 0.1 keeps class 2");
    }
}
