package dev.clipengine.segmentation;

import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DbscanTest {

    /** Textbook sklearn-order DBSCAN (docs/cliptrase.md §3.3): O(n²) double distances, stack flood fill. */
    static int[] reference(float[] x, int n, int dim, double eps, int minSamples) {
        double eps2 = eps * eps;
        int[][] nb = new int[n][];
        for (int i = 0; i < n; i++) {
            int[] tmp = new int[n];
            int c = 0;
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int t = 0; t < dim; t++) {
                    double d = (double) x[i * dim + t] - (double) x[j * dim + t];
                    s += d * d;
                }
                if (s <= eps2) tmp[c++] = j;
            }
            nb[i] = Arrays.copyOf(tmp, c);
        }
        boolean[] core = new boolean[n];
        for (int i = 0; i < n; i++) core[i] = nb[i].length >= minSamples;
        int[] label = new int[n];
        Arrays.fill(label, -1);
        int next = 0;
        ArrayDeque<Integer> stack = new ArrayDeque<>();
        for (int i = 0; i < n; i++) {
            if (label[i] != -1 || !core[i]) continue;
            stack.push(i);
            while (!stack.isEmpty()) {
                int p = stack.pop();
                if (label[p] == -1) {
                    label[p] = next;
                    if (core[p]) for (int q : nb[p]) if (label[q] == -1) stack.push(q);
                }
            }
            next++;
        }
        return label;
    }

    private static void check(float[] x, int n, int dim, double eps, int minSamples) {
        int[] want = reference(x, n, dim, eps, minSamples);
        int[] got = Dbscan.fit(x, n, dim, eps, minSamples);
        assertArrayEquals(want, got, () -> "n=" + n + " dim=" + dim + " eps=" + eps + " min=" + minSamples);
    }

    @Test
    void goldenFixtures() throws Exception {
        try (SafetensorsFile f = Fixtures.golden()) {
            for (String key : Fixtures.CASES) {
                Map<String, Object> md = Fixtures.segMeta(f, key);
                double eps = ((Number) md.get("eps")).doubleValue();
                int min = ((Number) md.get("min_samples")).intValue();
                float[] m = f.tensor(key + ".M").toFloatArray();
                int[] golden = Fixtures.ints(f.tensor(key + ".dbscan_labels").toLongArray());
                int n = golden.length;
                assertEquals(n * n, m.length);
                assertArrayEquals(golden, reference(m, n, n, eps, min), key + ": textbook reference vs golden");
                Dbscan.Result r = Dbscan.run(m, n, n, eps, min);
                assertArrayEquals(golden, r.labels(), key);
                assertEquals(((Number) md.get("clusters")).intValue(), r.clusters(), key + " clusters");
                assertEquals(((Number) md.get("noise")).intValue(), r.noise(), key + " noise");
            }
        }
    }

    @Test
    void randomBlobs() {
        SplittableRandom rnd = new SplittableRandom(20240601);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(trial < 250 ? 60 : 400);
            int dim = 1 + rnd.nextInt(trial % 3 == 0 ? 3 : 40);
            int centres = 1 + rnd.nextInt(5);
            float[][] c = new float[centres][dim];
            for (float[] cc : c) for (int t = 0; t < dim; t++) cc[t] = (float) (rnd.nextDouble() * 10);
            float[] x = new float[n * dim];
            double spread = 0.2 + rnd.nextDouble() * 2;
            for (int i = 0; i < n; i++) {
                float[] cc = c[rnd.nextInt(centres)];
                for (int t = 0; t < dim; t++) x[i * dim + t] = (float) (cc[t] + spread * rnd.nextGaussian());
            }
            // eps at a random pairwise distance (sometimes exactly one, as a float-rounded double)
            int a = rnd.nextInt(n), b = rnd.nextInt(n);
            double dab = Math.sqrt(Dbscan.exactSquaredDistance(x, dim, a, b));
            double eps = rnd.nextBoolean() ? dab : dab * (0.5 + rnd.nextDouble());
            if (eps == 0) eps = spread;
            check(x, n, dim, eps, 1 + rnd.nextInt(6));
        }
    }

    @Test
    void randomMatrixLikeRows() {
        // rows like the denoised correlation: non-negative, many exact zeros
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 40; trial++) {
            int n = 20 + rnd.nextInt(120);
            float[] x = new float[n * n];
            for (int i = 0; i < x.length; i++) {
                double v = rnd.nextDouble() * 1.2 - 0.4;
                x[i] = v < 0 ? 0f : (float) v;
            }
            double base = Math.sqrt(n * 0.3);
            check(x, n, n, base * (0.6 + 0.4 * rnd.nextDouble()), 1 + rnd.nextInt(7));
        }
    }

    @Test
    void duplicatesAndZeroEps() {
        float[] x = {1, 2, 1, 2, 1, 2, 5, 5, 5, 5, 9, 9};
        check(x, 6, 2, 0.0, 2);
        check(x, 6, 2, 0.0, 3);
        check(x, 6, 2, 1e-9, 4);
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, -1}, Dbscan.fit(x, 6, 2, 0.0, 2));
    }

    @Test
    void allNoiseAndOneBigCluster() {
        float[] x = new float[50];
        for (int i = 0; i < 50; i++) x[i] = i * 10f;
        int[] all = Dbscan.fit(x, 50, 1, 1.0, 2);
        for (int l : all) assertEquals(-1, l);
        int[] one = Dbscan.fit(x, 50, 1, 1000.0, 2);
        for (int l : one) assertEquals(0, l);
        check(x, 50, 1, 10.0, 3);  // exact-eps chain: every point touches its neighbours
    }

    @Test
    void chains() {
        // a long chain (worst case for label propagation) and two chains joined by a single bridge
        int n = 1500;
        float[] x = new float[n * 2];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = (i % 2 == 0) ? 0f : 0.5f;
        }
        check(x, n, 2, 1.2, 3);
        // the same chain with shuffled indices (slow case for label propagation)
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        SplittableRandom rnd = new SplittableRandom(11);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        float[] y = new float[n * 2];
        for (int i = 0; i < n; i++) {
            y[2 * perm[i]] = x[2 * i];
            y[2 * perm[i] + 1] = x[2 * i + 1];
        }
        check(y, n, 2, 1.2, 3);
        // interleaved indices: even indices on one chain, odd on another far away
        float[] z = new float[n * 2];
        for (int i = 0; i < n; i++) {
            z[2 * i] = i / 2;
            z[2 * i + 1] = (i % 2 == 0) ? 0f : 100f;
        }
        check(z, n, 2, 1.0, 2);
    }

    @Test
    void pointsExactlyAtEps() {
        // 3-4-5 triangles: integer coordinates at distance exactly 5 = eps (inclusive)
        float[] x = {0, 0, 3, 4, 6, 8, 9, 12, -5, 0, 100, 100, 103, 104};
        check(x, 7, 2, 5.0, 2);
        int[] l = Dbscan.fit(x, 7, 2, 5.0, 2);
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1, 1}, l);
        // just below eps: the 3-4-5 edges disappear
        assertArrayEquals(new int[] {-1, -1, -1, -1, -1, -1, -1}, Dbscan.fit(x, 7, 2, Math.nextDown(5.0), 2));
        // large common offset: fp32 Gram error (~0.1) far exceeds the margin; the double recomputation decides
        float[] big = {10000, 10000, 10003, 10004, 10006, 10008, 10000, 9994.999f};
        check(big, 4, 2, 5.0, 2);
        assertArrayEquals(new int[] {0, 0, 0, -1}, Dbscan.fit(big, 4, 2, 5.0, 2));
        assertTrue(Dbscan.run(big, 4, 2, 5.0, 2).recomputedPairs() >= 3, "boundary pairs must be recomputed");
        // higher dimension: (3,4,12) has norm 13
        float[] d3 = {1000, 1000, 1000, 1003, 1004, 1012, 1006, 1008, 1024};
        check(d3, 3, 3, 13.0, 2);
        assertArrayEquals(new int[] {0, 0, 0}, Dbscan.fit(d3, 3, 3, 13.0, 2));
    }

    @Test
    void borderPointTakesLowestCluster() {
        // clusters by smallest core index: C (indices 0-3) = 0, B (4-7) = 1, A (9-12) = 2;
        // index 8 at 2.5 is a border point of both B and A and must take 1 (the lower number)
        float[] x = {10, 10.3f, 10.6f, 11, 4.0f, 4.4f, 4.7f, 5.0f, 2.5f, 0, 0.3f, 0.6f, 1.0f};
        check(x, 13, 1, 1.5, 4);
        int[] l = Dbscan.fit(x, 13, 1, 1.5, 4);
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2}, l);
        float[] y = {2.5f, 4, 5, 0, 1};
        check(y, 5, 1, 1.5, 3);
    }

    @Test
    void smallCases() {
        assertArrayEquals(new int[0], Dbscan.fit(new float[0], 0, 3, 0.5, 3));
        assertArrayEquals(new int[] {0}, Dbscan.fit(new float[] {1, 2}, 1, 2, 0.5, 1));
        assertArrayEquals(new int[] {-1}, Dbscan.fit(new float[] {1, 2}, 1, 2, 0.5, 2));
        // minSamples = 1: every point is core, each point at least its own cluster
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = new float[40];
        for (int i = 0; i < 40; i++) x[i] = (float) (rnd.nextDouble() * 20);
        check(x, 20, 2, 1.5, 1);
        for (int l : Dbscan.fit(x, 20, 2, 1.5, 1)) assertTrue(l >= 0);
        // dim = 0: all points coincide
        assertArrayEquals(new int[] {0, 0, 0}, Dbscan.fit(new float[0], 3, 0, 0.1, 3));
        assertArrayEquals(new int[] {-1, -1, -1}, Dbscan.fit(new float[0], 3, 0, 0.1, 4));
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> Dbscan.fit(new float[] {1, Float.NaN}, 2, 1, 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> Dbscan.fit(new float[] {1, Float.POSITIVE_INFINITY}, 2, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Dbscan.fit(new float[] {1, 2}, 2, 1, Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> Dbscan.fit(new float[] {1, 2}, 2, 1, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> Dbscan.fit(new float[] {1, 2}, 2, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Dbscan.fit(new float[] {1}, 2, 1, 1, 1));
    }

    @Test
    void hugeValuesDoNotOverflowDecisions() {
        float[] x = {3e30f, 3e30f, 3e30f, -3e30f};
        check(x, 2, 2, 1.0, 1);
        check(x, 2, 2, 7e30, 2);
    }
}
