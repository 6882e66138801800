package dev.clipengine.model;

import dev.clipengine.bench.Flops;
import dev.clipengine.bench.Jvm;
import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Backends;
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
 * One residual block of each kind ViT-B/16 runs (in this package because blocks are internal to the model):
 * <ul>
 *   <li>{@code vision}: a standard image-tower block (width 768, 12 heads, MLP 3072) over {@code tokens} rows;</li>
 *   <li>{@code vision-correlation}: the same with CLIPtrase's W tap (block L-1 in {@code segment});</li>
 *   <li>{@code vision-cliptrase}: the CLIPtrase attention of the last block;</li>
 *   <li>{@code text-80}: a causal text block (width 512, 8 heads, MLP 2048) over 80 stacked prompts of 12 tokens
 *       (the 80 templates of one class), attention per prompt.</li>
 * </ul>
 * GFLOP/s counts the four projections and the attention products.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE})
public class BlockBenchmark {

    @Param({"vision", "vision-correlation", "vision-cliptrase", "text-80"})
    public String kind;

    /** Vision tokens: 197 (224 px) or 442 (336 px); ignored by text-80. */
    @Param({"197", "442"})
    public int tokens;

    @Param({"F32"})
    public Storage storage;

    private Arena arena;
    private Backend backend;
    private Prepared prepared;
    private ResidualBlock block;
    private ResidualBlock.Workspace workspace;
    private ResidualBlock.Request request;
    private int[] starts;
    private float[] x0;
    private Backend.Buffer x;
    private double flop;

    @Setup(Level.Trial)
    public void setUp() {
        boolean text = kind.equals("text-80");
        int d = text ? 512 : 768, heads = text ? 8 : 12, hidden = 4 * d;
        arena = Arena.ofShared();
        backend = Backends.cpu();
        prepared = new Prepared(backend);
        SplittableRandom rnd = new SplittableRandom(5);
        block = new ResidualBlock(backend, norm(d), linear(3 * d, d, rnd), linear(d, d, rnd), norm(d),
                linear(hidden, d, rnd), linear(d, hidden, rnd), heads);
        int perPrompt = 12;
        starts = text ? new int[81] : new int[] {0, tokens};
        if (text) for (int p = 1; p <= 80; p++) starts[p] = p * perPrompt;
        int rows = starts[starts.length - 1];
        workspace = block.newWorkspace(rows);
        x0 = new float[rows * d];
        for (int i = 0; i < x0.length; i++) x0[i] = (float) (rnd.nextDouble() * 2 - 1);
        x = backend.upload(x0);
        AttentionMode mode = kind.equals("vision-cliptrase") ? AttentionMode.CLIPTRASE : AttentionMode.STANDARD;
        request = new ResidualBlock.Request(text, mode, null, true, false, kind.equals("vision-correlation"));
        int seq = text ? perPrompt : rows;
        int branches = mode == AttentionMode.CLIPTRASE ? 4 : 2;   // CLIPtrase: three score products + one with v
        flop = 2.0 * rows * (3.0 * d * d + d * d + 2.0 * d * hidden) + branches * 2.0 * rows * seq * d;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        workspace.close();
        prepared.close();
        arena.close();
    }

    @Benchmark
    public Backend.Buffer block(Flops flops) {
        // restart from the same input so values stay bounded however many times the block runs
        backend.write(x0, 0, x0.length, x, 0);
        ResidualBlock.Taps taps = block.forward(x, starts, request, workspace);
        if (taps.correlation() != null) taps.correlation().close();
        flops.add(flop);
        return x;
    }

    private LayerNorm norm(int d) {
        float[] g = new float[d], b = new float[d];
        java.util.Arrays.fill(g, 1f);
        return LayerNorm.of(prepared, g, b);
    }

    private Linear linear(int out, int in, SplittableRandom rnd) {
        long count = (long) out * in;
        MemorySegment seg = arena.allocate(count * storage.bytes(), 64);
        float scale = (float) Math.sqrt(3.0 / in);
        var f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        var i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < count; i++) {
            float v = (float) ((rnd.nextDouble() * 2 - 1) * scale);
            switch (storage) {
                case F32 -> seg.setAtIndex(f32, i, v);
                case F16 -> seg.setAtIndex(i16, i, Float.floatToFloat16(v));
                case BF16 -> seg.setAtIndex(i16, i, (short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
        float[] bias = new float[out];
        for (int i = 0; i < out; i++) bias[i] = (float) (rnd.nextDouble() * 0.04 - 0.02);
        return new Linear(prepared.weights(new WeightMatrix(seg, storage, out, in)), prepared.upload(bias));
    }
}
