package dev.clipengine.segmentation;

import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterVotingTest {

    private static final int G = 8;
    private static final int SIZE = 128;

    @Test
    void goldenClusterMapAndVoting() throws Exception {
        try (SafetensorsFile f = Fixtures.golden()) {
            for (String key : Fixtures.CASES) {
                Map<String, Object> md = Fixtures.segMeta(f, key);
                assertEquals(SIZE, ((Number) md.get("size")).intValue());
                float[] m = f.tensor(key + ".M").toFloatArray();
                int[] labels = Fixtures.ints(f.tensor(key + ".dbscan_labels").toLongArray());
                int[] rawPred = Fixtures.ints(f.tensor(key + ".raw_pred").toLongArray());
                int[] clusterMap = Fixtures.ints(f.tensor(key + ".cluster_map").toLongArray());
                int[] pred = Fixtures.ints(f.tensor(key + ".pred").toLongArray());
                float[] gap = f.tensor(key + ".raw_gap").toFloatArray();

                int k = ClusterVoting.clusterCount(labels, G * G);
                assertEquals(((Number) md.get("clusters")).intValue(), k, key);
                float[] protos = ClusterVoting.prototypes(m, G * G, labels, k);
                int[] cid = ClusterVoting.clusterMap(protos, k, G, G, SIZE, SIZE);
                assertArrayEquals(clusterMap, cid, key + ": cluster map");

                assertArrayEquals(pred, ClusterVoting.vote(rawPred, clusterMap, k), key + ": voting");

                ClusterVoting.Result r = ClusterVoting.fromRaw(new ClusterVoting.RawPrediction(rawPred, gap),
                        G, G, m, labels, SIZE, SIZE);
                assertArrayEquals(clusterMap, r.clusterMap(), key);
                assertArrayEquals(pred, r.pred(), key);
                assertEquals(k, r.clusters());
                assertEquals(((Number) md.get("noise")).intValue(), r.noise(), key);
                assertSame(rawPred, r.rawPred());

                // whole chain from DBSCAN on the golden M
                double eps = ((Number) md.get("eps")).doubleValue();
                int[] lab2 = Dbscan.fit(m, G * G, G * G, eps, ((Number) md.get("min_samples")).intValue());
                ClusterVoting.Result r2 = ClusterVoting.fromRaw(new ClusterVoting.RawPrediction(rawPred, gap),
                        G, G, m, lab2, SIZE, SIZE);
                assertArrayEquals(pred, r2.pred(), key + ": DBSCAN → voting");
            }
        }
    }

    @Test
    void noClustersKeepsRawPrediction() {
        float[] logits = new float[3 * 4];
        for (int i = 0; i < logits.length; i++) logits[i] = i % 5;
        int[] labels = {-1, -1, -1, -1};
        float[] m = new float[16];
        ClusterVoting.Result r = ClusterVoting.run(logits, 3, 2, 2, null, 3, false, m, labels, 8, 8);
        assertNull(r.clusterMap());
        assertEquals(0, r.clusters());
        assertEquals(4, r.noise());
        assertArrayEquals(r.rawPred(), r.pred());
    }

    @Test
    void rawPredictionArgmaxTiesWeightsAndCollapse() {
        // 1x1 grid: up-sampling is constant, so every pixel sees the same logits
        float[] logits = {1f, 3f, 3f, 2f, 5f};
        ClusterVoting.RawPrediction p = ClusterVoting.rawPrediction(logits, 5, 1, 1, null, 5, false, 2, 3);
        for (int v : p.pred()) assertEquals(4, v);
        for (float g : p.gap()) assertEquals(2f, g);
        // background rows 3,4 collapse to class 3
        p = ClusterVoting.rawPrediction(logits, 5, 1, 1, null, 3, true, 2, 2);
        for (int v : p.pred()) assertEquals(3, v);
        // weights applied before argmax; tie between rows 1 and 2 goes to the lower index
        float[] w = {1f, 2f, 2f, 1f, 1f};
        p = ClusterVoting.rawPrediction(logits, 5, 1, 1, w, 3, true, 2, 2);
        for (int v : p.pred()) assertEquals(1, v);
        for (float g : p.gap()) assertEquals(0f, g);
        // single row: gap is +inf
        p = ClusterVoting.rawPrediction(new float[] {0.5f}, 1, 1, 1, null, 1, false, 1, 1);
        assertEquals(Float.POSITIVE_INFINITY, p.gap()[0]);
        assertThrows(IllegalArgumentException.class,
                () -> ClusterVoting.rawPrediction(logits, 5, 1, 1, new float[2], 5, false, 1, 1));
    }

    @Test
    void rawPredictionChunksManyClassesNonSquare() {
        // more rows than one chunk, non-square grid; compare with a direct per-pixel evaluation
        int rows = 2 * RawPredictionRows.CHUNK + 5, gh = 3, gw = 5, oh = 12, ow = 20;
        float[] logits = new float[rows * gh * gw];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        for (int i = 0; i < logits.length; i++) logits[i] = (float) rnd.nextGaussian();
        float[] w = new float[rows];
        for (int i = 0; i < rows; i++) w[i] = (float) (0.5 + rnd.nextDouble());
        ClusterVoting.RawPrediction p = ClusterVoting.rawPrediction(logits, rows, gh, gw, w, 40, true, oh, ow);
        float[] up = dev.clipengine.kernels.Resample.bilinear(logits, rows, gh, gw, oh, ow);
        for (int px = 0; px < oh * ow; px++) {
            int best = 0;
            float b1 = up[px] * w[0], b2 = Float.NEGATIVE_INFINITY;
            for (int c = 1; c < rows; c++) {
                float v = up[c * oh * ow + px] * w[c];
                if (v > b1) {
                    b2 = b1;
                    b1 = v;
                    best = c;
                } else if (v > b2) {
                    b2 = v;
                }
            }
            assertEquals(Math.min(best, 40), p.pred()[px]);
            assertEquals(b1 - b2, p.gap()[px]);
        }
    }

    @Test
    void votingModeTiesToSmallestClass() {
        int[] raw = {5, 5, 2, 2, 7, 7, 7, 1};
        int[] cid = {0, 0, 0, 0, 1, 1, 1, 1};
        assertArrayEquals(new int[] {2, 2, 2, 2, 7, 7, 7, 7}, ClusterVoting.vote(raw, cid, 2));
        // an empty cluster is fine
        assertArrayEquals(new int[] {2, 2, 2, 2, 7, 7, 7, 7}, ClusterVoting.vote(raw, cid, 3));
    }

    @Test
    void prototypesExcludeNoiseAndSingleClusterRelabelsAll() {
        int gh = 2, gw = 3, n = gh * gw;
        float[] m = new float[n * n];
        for (int i = 0; i < m.length; i++) m[i] = i;
        int[] labels = {0, -1, 0, -1, -1, -1};
        float[] p = ClusterVoting.prototypes(m, n, labels, 1);
        for (int j = 0; j < n; j++) assertEquals((m[j] + m[2 * n + j]) / 2, p[j]);
        float[] logits = new float[2 * n];
        for (int i = 0; i < n; i++) logits[i] = i < 3 ? 1f : 0f;   // class 0 on the top row, class 1 below
        ClusterVoting.Result r = ClusterVoting.run(logits, 2, gh, gw, null, 2, false, m, labels, 16, 24);
        assertEquals(1, r.clusters());
        assertEquals(4, r.noise());
        int first = r.pred()[0];
        assertTrue(Arrays.stream(r.pred()).allMatch(v -> v == first));
        assertThrows(IllegalArgumentException.class,
                () -> ClusterVoting.clusterCount(new int[] {0, 2, -1, -1, -1, -1}, 6));
    }
}
