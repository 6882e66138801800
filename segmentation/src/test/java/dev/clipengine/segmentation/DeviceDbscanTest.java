package dev.clipengine.segmentation;

import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The device DBSCAN's algorithm and host loop, run through {@link DeviceDbscan.Emulation} (the CUDA kernels in Java,
 * with random thread order and stale reads), against {@link Dbscan#run}: labels, cluster and noise counts and core
 * flags must be identical on every input. The CUDA steps themselves need a GPU (see GPU-TODO.md).
 */
class DeviceDbscanTest {

    private static void same(float[] x, int n, int dim, double eps, int min, long seed) {
        Dbscan.Result want = Dbscan.run(x, n, dim, eps, min);
        Dbscan.Result got = DeviceDbscan.run(new DeviceDbscan.Emulation(seed), x, n, dim, eps, min);
        String what = "n=" + n + " dim=" + dim + " eps=" + eps + " min=" + min + " seed=" + seed;
        assertArrayEquals(want.labels(), got.labels(), what);
        assertEquals(want.clusters(), got.clusters(), what);
        assertEquals(want.noise(), got.noise(), what);
        assertArrayEquals(want.core(), got.core(), what);
    }

    @Test
    void randomBlobsAcrossSizesThatStraddleWarpWords() {
        SplittableRandom rnd = new SplittableRandom(42);
        int[] sizes = {1, 2, 31, 32, 33, 63, 64, 65, 100, 257, 441};
        for (int n : sizes) {
            for (int rep = 0; rep < 4; rep++) {
                int dim = 1 + rnd.nextInt(12);
                int centres = 1 + rnd.nextInt(6);
                float[][] c = new float[centres][dim];
                for (float[] cc : c) for (int t = 0; t < dim; t++) cc[t] = (float) (rnd.nextDouble() * 10);
                float[] x = new float[n * dim];
                for (int i = 0; i < n; i++) {
                    float[] cc = c[rnd.nextInt(centres)];
                    double spread = rnd.nextDouble() < 0.1 ? 5 : 0.6;     // some noise points
                    for (int t = 0; t < dim; t++) x[i * dim + t] = (float) (cc[t] + rnd.nextGaussian() * spread);
                }
                double eps = 0.3 + rnd.nextDouble() * 1.5;
                int min = 1 + rnd.nextInt(8);
                same(x, n, dim, eps, min, rnd.nextLong());
            }
        }
    }

    /** Integer grids make many distances exactly eps: the inclusive boundary and the double recomputation matter. */
    @Test
    void exactTiesOnTheEpsBoundary() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int rep = 0; rep < 30; rep++) {
            int n = 20 + rnd.nextInt(120), dim = 2 + rnd.nextInt(3);
            float[] x = new float[n * dim];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextInt(8);
            same(x, n, dim, 1.0 + rnd.nextInt(2), 1 + rnd.nextInt(5), rnd.nextLong());
        }
    }

    /**
     * Points far from the origin and close to each other: the fp32 Gram matrix cancels catastrophically, so only the
     * safety band and the double recomputation get these right (an emulation that trusted fp32 fails here).
     */
    @Test
    void cancellationHeavyInputsNeedTheSafetyBand() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int rep = 0; rep < 10; rep++) {
            int n = 60 + rnd.nextInt(100), dim = 16;
            float[] x = new float[n * dim];
            for (int i = 0; i < n; i++) {
                for (int t = 0; t < dim; t++) x[i * dim + t] = (float) (1000 + rnd.nextDouble() * 0.05);
            }
            // eps = an exact pair distance at the 3rd percentile: sparse clusters, one exact tie
            double[] d = new double[n * (n - 1) / 2];
            for (int i = 0, p = 0; i < n; i++) for (int j = i + 1; j < n; j++) d[p++] = Dbscan.exactSquaredDistance(x, dim, i, j);
            java.util.Arrays.sort(d);
            double eps = Math.sqrt(d[d.length * 3 / 100]);
            same(x, n, dim, eps, 2 + rnd.nextInt(3), rnd.nextLong());
            Dbscan.Result r = DeviceDbscan.run(new DeviceDbscan.Emulation(rep), x, n, dim, eps, 2);
            assertEquals(Dbscan.run(x, n, dim, eps, 2).recomputedPairs(), r.recomputedPairs(), "pairs recomputed");
            org.junit.jupiter.api.Assertions.assertTrue(r.recomputedPairs() > 0);
        }
    }

    /** The segmenter's input: rows of a correlation-like matrix, n points of dimension n. */
    @Test
    void correlationShapedInputsAtSegmentationSizes() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int n : new int[] {196, 441}) {
            float[] m = new float[n * n];
            int groups = 5;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    boolean together = i % groups == j % groups;
                    m[i * n + j] = (float) Math.max(0, (together ? 0.6 : 0.1) + rnd.nextGaussian() * 0.05);
                }
            }
            for (double eps : new double[] {0.8, 1.5, 3.0}) same(m, n, n, eps, 5, rnd.nextLong());
        }
    }

    @Test
    void sameResultWhateverTheThreadScheduling() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 150, dim = 3;
        float[] x = new float[n * dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 6);
        for (long seed = 0; seed < 20; seed++) same(x, n, dim, 0.7, 3, seed);
    }

    @Test
    void degenerateInputs() {
        same(new float[0], 0, 3, 1.0, 2, 1);
        same(new float[5 * 0], 5, 0, 0.0, 2, 1);               // dim 0: every point coincides
        same(new float[] {0, 0, 0, 0}, 2, 2, 0.0, 2, 1);       // eps 0: identical points only
        same(new float[] {0, 1, 5}, 3, 1, Double.POSITIVE_INFINITY, 3, 1);
        assertThrows(IllegalArgumentException.class,
                () -> DeviceDbscan.run(new DeviceDbscan.Emulation(1), new float[] {Float.NaN}, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> DeviceDbscan.run(new DeviceDbscan.Emulation(1), new float[] {0}, 1, 1, 1, 0));
    }

    @Test
    void goldenSegmentationCases() throws Exception {
        try (SafetensorsFile f = Fixtures.golden()) {
            for (String key : Fixtures.CASES) {
                Map<String, Object> md = Fixtures.segMeta(f, key);
                double eps = ((Number) md.get("eps")).doubleValue();
                int min = ((Number) md.get("min_samples")).intValue();
                float[] m = f.tensor(key + ".M").toFloatArray();
                int[] golden = Fixtures.ints(f.tensor(key + ".dbscan_labels").toLongArray());
                int n = golden.length;
                Dbscan.Result got = DeviceDbscan.run(new DeviceDbscan.Emulation(n), m, n, n, eps, min);
                assertArrayEquals(golden, got.labels(), key);
            }
        }
    }
}
