package dev.clipengine.bench;

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
 * Baseline for {@link GemmBenchmark} in the same run: the plain scalar triple loop over heap fp32 weights, one thread
 * (what a straightforward Java port does; C2 does not vectorize the float reduction because it must keep its order).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE})
public class GemmNaiveBenchmark {

    @Param({"197x2304x768", "442x3072x768"})
    public String shape;

    private int m, n, k;
    private float[] w, x, bias, y;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        SplittableRandom rnd = new SplittableRandom(1);
        w = new float[n * k];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextDouble() - 0.5);
        x = new float[m * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() - 0.5);
        bias = new float[n];
        y = new float[m * n];
    }

    @Benchmark
    public float[] naive(Flops flops) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = bias[j];
                for (int kk = 0; kk < k; kk++) s += x[i * k + kk] * w[j * k + kk];
                y[i * n + j] = s;
            }
        }
        flops.add(2.0 * m * n * k);
        return y;
    }
}
