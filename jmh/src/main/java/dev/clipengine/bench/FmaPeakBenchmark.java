package dev.clipengine.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What the cores can do at most: independent vector FMA chains with nothing to load, on one thread and on every core
 * ({@code :gflops}, fp32). The other benchmarks' GFLOP/s read against this figure, measured in the same run, rather
 * than against a nominal clock: on a VM the clock under load is not the one on the box, and an AVX-512 FMA loop on
 * both cores may run slower than on one.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR})
public class FmaPeakBenchmark {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Iterations per call: 12 chains × this many FMAs of S.length() lanes. */
    private static final int STEPS = 100_000;
    /** Twelve chains hide the FMA latency (4 cycles) on two FMA pipes with room to spare. */
    private static final double FLOP_PER_CALL = 2.0 * 12 * STEPS * S.length();

    @Benchmark
    @Threads(1)
    public float oneCore(Flops flops) {
        flops.add(FLOP_PER_CALL);
        return chains();
    }

    @Benchmark
    @Threads(Threads.MAX)
    public float allCores(Flops flops) {
        flops.add(FLOP_PER_CALL);
        return chains();
    }

    private static float chains() {
        FloatVector a = FloatVector.broadcast(S, 1.0000001f), b = FloatVector.broadcast(S, 0.9999999f);
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        FloatVector c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < STEPS; i++) {
            c0 = a.fma(c0, b);
            c1 = a.fma(c1, b);
            c2 = a.fma(c2, b);
            c3 = a.fma(c3, b);
            c4 = a.fma(c4, b);
            c5 = a.fma(c5, b);
            c6 = a.fma(c6, b);
            c7 = a.fma(c7, b);
            c8 = a.fma(c8, b);
            c9 = a.fma(c9, b);
            c10 = a.fma(c10, b);
            c11 = a.fma(c11, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).lane(0);
    }
}
