package dev.clipengine.bench;

import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Backends;
import dev.clipengine.kernels.Epilogue;
import dev.clipengine.kernels.Storage;
import dev.clipengine.kernels.WeightMatrix;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The GEMMs of ViT-B/16: {@code y = x·Wᵀ + b} with M = 197 (224 px) or 442 (336 px) tokens and the four weight
 * shapes of a block (qkv 2304×768, out 768×768, c_fc 3072×768, c_proj 768×3072), weights off-heap in fp32, fp16 or
 * bf16 like a mapped model, through the CPU {@link Backend}. {@link #prepacked} uses them packed once ahead in fp32,
 * as the model's weights are; {@link #engine} runs in a JVM whose packing budget is 0
 * ({@code -Dclipengine.packedHeapShare=0}), so the weights are packed (and widened) on every call.
 * {@link GemmNaiveBenchmark} is the baseline to run next to them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE})
public class GemmBenchmark {

    /** {@code M x N x K}. */
    @Param({"197x2304x768", "197x768x768", "197x3072x768", "197x768x3072",
            "442x2304x768", "442x768x768", "442x3072x768", "442x768x3072"})
    public String shape;

    @Param({"F32", "F16", "BF16"})
    public Storage storage;

    private int m, n, k;
    private Arena arena;
    private Backend backend;
    private Backend.Weights w;
    private Backend.Buffer x, bias, y;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        SplittableRandom rnd = new SplittableRandom(1);
        arena = Arena.ofShared();
        MemorySegment seg = arena.allocate((long) n * k * storage.bytes(), 64);
        for (int i = 0; i < n * k; i++) {
            float v = (float) (rnd.nextDouble() - 0.5);
            switch (storage) {
                case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, v);
                case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i,
                        Float.floatToFloat16(v));
                case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i,
                        (short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
        backend = Backends.cpu();
        w = backend.weights(new WeightMatrix(seg, storage, n, k));
        float[] xs = new float[m * k];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) (rnd.nextDouble() - 0.5);
        x = backend.adopt(xs);
        bias = backend.allocate(n);
        y = backend.allocate((long) m * n);
        backend.linear(x, 0, k, m, w, bias, y, 0, n, Epilogue.STORE);   // packs the weights, if the budget allows
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        w.close();
        arena.close();
    }

    /** Weights packed once ahead (what the model does): the GEMM alone. */
    @Benchmark
    public Backend.Buffer prepacked(Flops flops) {
        backend.linear(x, 0, k, m, w, bias, y, 0, n, Epilogue.STORE);
        flops.add(2.0 * m * n * k);
        return y;
    }

    /** Weights read from their storage and packed (widened) on every call: no packing budget in this JVM. */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE, "-Dclipengine.packedHeapShare=0"})
    public Backend.Buffer engine(Flops flops) {
        backend.linear(x, 0, k, m, w, bias, y, 0, n, Epilogue.STORE);
        flops.add(2.0 * m * n * k);
        return y;
    }
}
