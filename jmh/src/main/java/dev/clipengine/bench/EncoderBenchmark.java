package dev.clipengine.bench;

import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.model.RandomWeights;
import dev.clipengine.model.VisionOutput;
import dev.clipengine.model.VisionRequest;
import dev.clipengine.weights.DType;
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

import java.util.concurrent.TimeUnit;

/**
 * ViT-B/16 image encoder (random weights), from normalized pixels to the projected tokens: the work that
 * {@code OnnxRuntimeBenchmark} times for ONNX Runtime (run both in one JMH invocation to compare).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE})
public class EncoderBenchmark {

    @Param({"224", "336"})
    public int size;

    @Param({"F32", "BF16"})
    public DType dtype;

    private ClipModel clip;
    private float[] pixels;
    private double flop;

    @Setup(Level.Trial)
    public void setUp() {
        clip = Models.vitB16(dtype);
        pixels = Models.pixels(size);
        flop = RandomWeights.VIT_B_16.imageEncoderFlops(size);
    }

    @Benchmark
    public VisionOutput imageEncoder(Flops flops) {
        VisionOutput out = clip.vision().forward(pixels, size, size, VisionRequest.clip(PositionalInterpolation.BICUBIC));
        flops.add(flop);
        return out;
    }
}
