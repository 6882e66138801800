package dev.clipengine.kernels;

import java.lang.foreign.Arena;
import java.util.Random;

/**
 * Ad-hoc throughput check (not a unit test; the JMH module is the place for real benchmarks). Run with:
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.clipengine.kernels.GemmBench}
 */
final class GemmBench {

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        int[][] shapes = {{442, 3072, 768}, {442, 768, 3072}, {197, 2304, 768}};
        Random rnd = new Random(1);
        try (CpuBackend backend = new CpuBackend(threads); Arena arena = Arena.ofShared()) {
            for (Storage storage : new Storage[] {Storage.F32, Storage.F16}) {
                for (int[] s : shapes) {
                    int m = s[0], n = s[1], k = s[2];
                    WeightMatrix w = TestData.weights(TestData.random(rnd, n * k), n, k, storage,
                            TestData.Placement.OFF_HEAP, arena);
                    float[] x = TestData.random(rnd, m * k), y = new float[m * n], bias = TestData.random(rnd, n);
                    double best = Double.MAX_VALUE;
                    for (int rep = 0; rep < 30; rep++) {
                        long t0 = System.nanoTime();
                        backend.linear(x, 0, k, m, w, bias, y, 0, n);
                        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    }
                    System.out.printf("linear %s m=%d n=%d k=%d threads=%d: best %.2f ms, %.1f GFLOP/s%n",
                            storage, m, n, k, threads, best * 1e3, 2.0 * m * n * k / best / 1e9);
                }
            }
        }
    }
}
