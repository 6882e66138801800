package dev.clipengine.midlayer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pieces of SC-CLIP and ResCLIP on hand-computed cases and properties (docs/mid-layer-methods.md). */
class MidLayerPiecesTest {

    /**
     * Without ties, the 0.95 quantile leaves T − ceil(rank) scores strictly above it (rank = 0.95·(T−1) in float32):
     * 10 of 196 (a 224 window), 22 of 441, 30 of 588, 33 of 651.
     */
    @ParameterizedTest
    @CsvSource({"196, 10", "441, 22", "588, 30", "651, 33"})
    void theQuantileKeepsTheDocumentedNumberOfOutliers(int t, int expected) {
        SplittableRandom r = new SplittableRandom(t);
        float[] points = new float[t * 8];
        for (int i = 0; i < points.length; i++) points[i] = (float) r.nextGaussian();
        float[] scores = LocalOutlierScore.SC_CLIP.scores(points, t, 8);
        assertEquals(expected, LocalOutlierScore.SC_CLIP.outliers(scores).length);
    }

    /** One far point among a tight cluster has the largest score: kd of the point over its neighbours' kd. */
    @Test
    void aFarPointScoresHighest() {
        int t = 40;
        float[] points = new float[t * 2];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < t; i++) {
            points[2 * i] = (float) r.nextDouble();
            points[2 * i + 1] = (float) r.nextDouble();
        }
        points[2 * 17] = 50f;
        float[] s = LocalOutlierScore.SC_CLIP.scores(points, t, 2);
        for (int i = 0; i < t; i++) if (i != 17) assertTrue(s[17] > s[i], "point " + i);
        assertTrue(java.util.Arrays.stream(LocalOutlierScore.SC_CLIP.outliers(s)).anyMatch(i -> i == 17));
        assertThrows(IllegalArgumentException.class, () -> LocalOutlierScore.SC_CLIP.scores(new float[30 * 2], 30, 2));
    }

    /** Repair on a 2×3 grid, row-major: outlier 1 = (0,1) takes the mean of its 4 non-outlier neighbours. */
    @Test
    void repairUsesInGridNonOutlierNeighboursRowMajor() {
        float[] tokens = {0, 100, 2, 3, 40, 5};   // 2 rows × 3 columns, one value each
        float[] out = OutlierRepair.repair(tokens, 2, 3, 1, new int[] {1, 4});
        // (0,1): neighbours (0,0)=0, (0,2)=2, (1,0)=3, (1,2)=5; (1,1)=40 is an outlier
        assertEquals(2.5f, out[1]);
        // (1,1): neighbours (0,0)=0, (0,2)=2, (1,0)=3, (1,2)=5 (the other outlier is skipped)
        assertEquals(2.5f, out[4]);
        assertEquals(0f, out[0]);
        assertEquals(5f, out[5]);
        // a lone outlier with only outlier neighbours keeps its value
        assertArrayEquals(new float[] {7, 8}, OutlierRepair.repair(new float[] {7, 8}, 1, 2, 1, new int[] {0, 1}));
    }

    @Test
    void aggregationZeroesBelowBetaAndNormalizesRows() {
        float[] w = CoherentAggregation.weights(new float[] {1f, 0.39f, 0.5f, 0.4f}, 2);
        assertEquals(1f / (1f + 1e-6f), w[0], 1e-7f);
        assertEquals(0f, w[1]);
        // second row: both entries reach β, so both stay, over their sum 0.9
        assertEquals(0.5f / (0.9f + 1e-6f), w[2], 1e-7f);
        assertEquals(0.4f / (0.9f + 1e-6f), w[3], 1e-7f);
    }

    @Test
    void majorityVotePrefersTheSmallestLabelOnTies() {
        // a 2×4 image of 2×2 patches: left patch 2,2,1,1 (tie → 1), right patch 3,3,3,0 → 3
        int[] labels = {2, 2, 3, 3, 1, 1, 3, 0};
        assertArrayEquals(new int[] {1, 3}, PatchLabels.majority(labels, 2, 4, 2, 4));
    }

    @Test
    void sfrKernelIsOddAndNormalizedAndLinspaceEndsExactly() {
        assertEquals(31, SfrMatrix.kernel(196, 5).length);
        assertEquals(17, SfrMatrix.kernel(16, 5).length);   // min(16, 31) = 16, made odd
        float sum = 0;
        for (float g : SfrMatrix.kernel(48, 5)) sum += g;
        assertEquals(1f, sum, 1e-6f);
        float[] t = SfrMatrix.linspace(7);
        assertEquals(0f, t[0]);
        assertEquals(1f, t[7]);
        assertEquals(8, t.length);
    }

    /** One label everywhere: every pair keeps 1, so each SFR row is the blurred all-ones row, normalized. */
    @Test
    void sfrOfOneRegionIsTheNormalizedBlurOfOnes() {
        int gh = 3, gw = 4, t = gh * gw;
        float[] s = SfrMatrix.of(new int[t], gh, gw, 5.0);
        for (int j = 0; j <= t; j++) {
            assertEquals(0f, s[j]);
            assertEquals(0f, s[j * (t + 1)]);
        }
        for (int i = 0; i < t; i++) {
            double sum = 0;
            for (int j = 0; j < t; j++) sum += s[(1 + i) * (t + 1) + 1 + j];
            assertEquals(1.0, sum, 1e-5);
        }
        // zero padding: the first key of a row gets less than a middle one
        assertTrue(s[(t + 1) + 1] < s[(t + 1) + 1 + t / 2]);
    }

    @Test
    void otherDepthsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MidLayerBlocks.forDepth(6, "resclip"));
        assertTrue(e.getMessage().contains("6 blocks"), e.getMessage());
        assertEquals(9, MidLayerBlocks.forDepth(12, "scclip").priorBlock());
        assertEquals(6, MidLayerBlocks.forDepth(12, "resclip").rcsFirst());
    }

    @Test
    void sfrHalfRoundsToHalfPrecision() {
        float[] h = ResClipEncoder.halfScaled(new float[] {0, 0.1f, 0.7f, 1.4f});
        assertEquals(1f, h[3]);
        assertEquals(0.5f, h[2]);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.1f / 1.4f)), h[1]);
        assertEquals(0.7001953125f, ResClipEncoder.half(0.7f));
    }
}
