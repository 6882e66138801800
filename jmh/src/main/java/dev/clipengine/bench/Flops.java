package dev.clipengine.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A JMH auxiliary counter that turns a benchmark's floating-point work into a rate: each invocation adds its GFLOP,
 * and JMH divides the total by the measured time, printing a secondary result "{@code :gflops}" next to the primary
 * one. Benchmarks that use it run in throughput mode (ops/s, seconds per operation = 1/score), where that secondary
 * result reads directly in GFLOP/s; under {@code -bm avgt} it would read as seconds per GFLOP instead.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Flops {

    /** GFLOP done in this iteration; reported by JMH as GFLOP/s. */
    public double gflops;

    @Setup(Level.Iteration)
    public void reset() {
        gflops = 0;
    }

    public void add(double flop) {
        gflops += flop / 1e9;
    }
}
