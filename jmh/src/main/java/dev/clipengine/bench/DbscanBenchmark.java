package dev.clipengine.bench;

import dev.clipengine.segmentation.Dbscan;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * DBSCAN on CLIPtrase-shaped input: N patches (196 = 224 px, 441 = 336 px, 1024 = 512 px), each an N-dimensional
 * row of the denoised correlation. The rows are drawn around 6 centres with a spread that puts most same-cluster
 * pairs inside eps and other pairs outside, so the neighbour graph, the band re-checks and the propagation all do
 * real work. GFLOP/s counts the Gram matrix only (2·N²·N), the part that is arithmetic.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE})
public class DbscanBenchmark {

    @Param({"196", "441", "1024"})
    public int points;

    private float[] x;
    private double eps;
    private int minSamples;

    @Setup(Level.Trial)
    public void setUp() {
        int n = points;
        // the reference's parameters: 0.7 / 3 at 224 px, 1.1 / 7 at 336 px (and above)
        eps = n <= 196 ? 0.7 : 1.1;
        minSamples = n <= 196 ? 3 : 7;
        SplittableRandom rnd = new SplittableRandom(3);
        int centres = 6;
        float[][] c = new float[centres][n];
        for (float[] row : c) for (int j = 0; j < n; j++) row[j] = (float) (0.3 * rnd.nextDouble());
        double sigma = eps / (2 * Math.sqrt(2.0 * n));
        x = new float[n * n];
        for (int i = 0; i < n; i++) {
            float[] centre = c[rnd.nextInt(centres)];
            boolean outlier = rnd.nextInt(20) == 0;
            for (int j = 0; j < n; j++) {
                double v = outlier ? 0.3 * rnd.nextDouble() : centre[j] + sigma * gaussian(rnd);
                x[i * n + j] = (float) Math.max(0, v);
            }
        }
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    @Benchmark
    public int[] dbscan(Flops flops) {
        int[] labels = Dbscan.fit(x, points, points, eps, minSamples);
        flops.add(2.0 * points * points * points);
        return labels;
    }
}
