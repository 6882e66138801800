package dev.clipengine.segmentation;

import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The row-streamed post-processing ({@link ClusterVoting}) against the pre-streaming implementation kept as
 * {@link ClusterVotingBaseline}: identical labels, raw predictions, margins and cluster maps, bit for bit, on the
 * golden correlations and on random cases (non-square grids, more classes than one chunk, weights, background
 * collapse, outputs on both sides of ATen's small-output kernel switch), and a window written into part of a larger
 * label image equals the same crop of the whole result.
 */
class StreamingVotingTest {

    @Test
    void goldenCorrelationsGiveTheBaselinesMaps() throws Exception {
        try (SafetensorsFile f = Fixtures.golden()) {
            SplittableRandom rnd = new SplittableRandom(18);
            for (String key : Fixtures.CASES) {
                float[] m = f.tensor(key + ".M").toFloatArray();
                int[] labels = Fixtures.ints(f.tensor(key + ".dbscan_labels").toLongArray());
                for (int[] out : new int[][] {{128, 128}, {37, 61}, {300, 170}, {9, 400}}) {
                    int rows = 21 + rnd.nextInt(3);
                    float[] logits = gaussian(rnd, rows * 64);
                    assertSame(logits, rows, 8, 8, null, 20, true, m, labels, out[0], out[1], key);
                }
            }
        }
    }

    @Test
    void randomCasesGiveTheBaselinesMaps() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 60; trial++) {
            int gh = 1 + rnd.nextInt(9), gw = 1 + rnd.nextInt(9), n = gh * gw;
            int rows = switch (trial % 4) {
                case 0 -> 1;
                case 1 -> 1 + rnd.nextInt(6);
                case 2 -> 21;
                default -> 2 * RawPredictionRows.CHUNK + 1 + rnd.nextInt(10);
            };
            int numClasses = 1 + rnd.nextInt(rows);
            boolean collapse = rnd.nextBoolean();
            float[] weights = rnd.nextBoolean() ? null : positive(rnd, rows);
            float[] logits = gaussian(rnd, rows * n);
            // a few equal logits, so first-index ties are exercised too
            if (rows > 1) for (int p = 0; p < n; p += 3) logits[n + p] = logits[p];
            float[] m = new float[n * n];
            for (int i = 0; i < m.length; i++) m[i] = (float) Math.max(0, rnd.nextGaussian());
            // equal prototypes tie at every pixel: the first cluster must win, as in the baseline
            if (trial % 5 == 1) Arrays.fill(m, 0.5f);
            int[] labels = randomLabels(rnd, n, trial % 7 == 0 ? 0 : 1 + rnd.nextInt(Math.min(n, 6)));
            int outH = 1 + rnd.nextInt(trial % 2 == 0 ? 60 : 260), outW = 1 + rnd.nextInt(trial % 3 == 0 ? 50 : 300);
            assertSame(logits, rows, gh, gw, weights, numClasses, collapse, m, labels, outH, outW, "trial " + trial);
        }
    }

    @Test
    void aWindowWritesOnlyItsKeptPixelsAndVotesOverAllOfThem() {
        SplittableRandom rnd = new SplittableRandom(9);
        int gh = 6, gw = 10, n = gh * gw, rows = 5, outH = 90, outW = 150;
        float[] logits = gaussian(rnd, rows * n);
        float[] m = new float[n * n];
        for (int i = 0; i < m.length; i++) m[i] = (float) Math.max(0, rnd.nextGaussian());
        int[] labels = randomLabels(rnd, n, 3);
        ClusterVotingBaseline.Result whole = ClusterVotingBaseline.run(logits, rows, gh, gw, null, rows, false, m, labels, outH, outW);
        int stride = 400, x = 123, y = 7;
        int[] dest = new int[stride * (outH + 20)];
        Arrays.fill(dest, -7);
        LabelTarget target = new LabelTarget(dest, stride, x, y, 30, 0, 111, outH);
        ClusterVoting.Summary s = ClusterVoting.stream(new ClusterVoting.Scores(logits, rows, gh, gw, null, rows, false), m, labels,
                outH, outW, target, null);
        assertEquals(whole.clusters(), s.clusters());
        for (int i = 0; i < dest.length; i++) {
            int dy = i / stride - y, dx = i % stride - x;
            boolean kept = dy >= 0 && dy < outH && dx >= 30 && dx < 111;
            assertEquals(kept ? whole.pred()[dy * outW + dx] : -7, dest[i], "destination pixel " + i);
        }
        // rows kept too, in bands: still the whole map's votes over the kept pixels only
        Arrays.fill(dest, -7);
        ClusterVoting.stream(new ClusterVoting.Scores(logits, rows, gh, gw, null, rows, false), m, labels, outH, outW,
                new LabelTarget(dest, stride, x, y, 30, 11, 111, 70), null, 4);
        for (int i = 0; i < dest.length; i++) {
            int dy = i / stride - y, dx = i % stride - x;
            boolean kept = dy >= 11 && dy < 70 && dx >= 30 && dx < 111;
            assertEquals(kept ? whole.pred()[dy * outW + dx] : -7, dest[i], "destination pixel " + i + " (rows kept)");
        }
    }

    @Test
    void aKeptRectangleOutsideTheMapIsRefused() {
        LabelTarget t = LabelTarget.whole(10, 10);
        assertThrows(IllegalArgumentException.class, () -> ClusterVoting.stream(
                new ClusterVoting.Scores(new float[4], 1, 2, 2, null, 1, false), new float[16], new int[4], 5, 5, t, null));
        assertThrows(IllegalArgumentException.class, () -> new LabelTarget(new int[100], 10, 5, 0, 0, 0, 6, 10));
    }

    private static void assertSame(float[] logits, int rows, int gh, int gw, float[] weights, int numClasses, boolean collapse,
                                   float[] m, int[] labels, int outH, int outW, String what) {
        String at = what + " rows " + rows + " grid " + gh + "x" + gw + " out " + outH + "x" + outW;
        ClusterVotingBaseline.Result old = ClusterVotingBaseline.run(logits, rows, gh, gw, weights, numClasses, collapse, m, labels, outH, outW);
        ClusterVoting.Result now = ClusterVoting.run(logits, rows, gh, gw, weights, numClasses, collapse, m, labels, outH, outW);
        assertArrayEquals(old.pred(), now.pred(), at + ": labels");
        assertArrayEquals(old.rawPred(), now.rawPred(), at + ": raw prediction");
        assertArrayEquals(old.rawGap(), now.rawGap(), at + ": margin");
        if (old.clusterMap() == null) assertNull(now.clusterMap(), at);
        else assertArrayEquals(old.clusterMap(), now.clusterMap(), at + ": cluster map");
        assertEquals(old.clusters(), now.clusters(), at);
        assertEquals(old.noise(), now.noise(), at);
        // labels only, straight into a fresh image: the path the engine takes at high resolution
        LabelTarget t = LabelTarget.whole(outW, outH);
        ClusterVoting.stream(new ClusterVoting.Scores(logits, rows, gh, gw, weights, numClasses, collapse), m, labels, outH, outW, t, null);
        assertArrayEquals(old.pred(), t.labels(), at + ": labels without diagnostics");
        // any split into bands of rows run in parallel gives the same labels
        for (int bands : new int[] {1, 3, 17}) {
            LabelTarget banded = LabelTarget.whole(outW, outH);
            ClusterVoting.stream(new ClusterVoting.Scores(logits, rows, gh, gw, weights, numClasses, collapse), m, labels, outH, outW,
                    banded, null, bands);
            assertArrayEquals(old.pred(), banded.labels(), at + ": labels in " + bands + " bands");
        }
    }

    static float[] gaussian(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (3 * rnd.nextGaussian());
        return v;
    }

    static float[] positive(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (0.2 + rnd.nextDouble());
        return v;
    }

    /** {@code k} non-empty clusters over {@code n} patches (some noise), or all noise for {@code k = 0}. */
    static int[] randomLabels(SplittableRandom rnd, int n, int k) {
        int[] l = new int[n];
        for (int i = 0; i < n; i++) l[i] = k == 0 || rnd.nextInt(5) == 0 ? -1 : rnd.nextInt(k);
        for (int c = 0; c < k; c++) l[c % n] = c;   // every cluster has a member
        return l;
    }
}
