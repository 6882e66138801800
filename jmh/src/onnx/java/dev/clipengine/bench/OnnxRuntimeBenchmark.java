package dev.clipengine.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.clipengine.model.RandomWeights;
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

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The peer: ONNX Runtime (Java API, CPU provider) running the same ViT-B/16 image encoder, exported from
 * Hugging Face's {@code CLIPVisionModelWithProjection} with random weights by {@code jmh/scripts/export_vit_onnx.py}
 * (one file per size, {@code vit_b16_224.onnx} and {@code vit_b16_336.onnx} in {@code onnxDir}). Settings as in the
 * issue's table: 2 intra-op threads, all graph optimizations. Only built with {@code -Ponnx}, so the default build
 * does not download ONNX Runtime. Same settings and GFLOP count as {@link EncoderBenchmark}: run both together.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE})
public class OnnxRuntimeBenchmark {

    @Param({"224", "336"})
    public int size;

    @Param({"/tmp/onnx"})
    public String onnxDir;

    @Param({"2"})
    public int threads;

    private OrtEnvironment env;
    private OrtSession session;
    private OnnxTensor input;
    private double flop;

    @Setup(Level.Trial)
    public void setUp() throws OrtException {
        Path model = Path.of(onnxDir, "vit_b16_" + size + ".onnx");
        if (!Files.isRegularFile(model)) {
            throw new IllegalStateException(model + " not found: run jmh/scripts/export_vit_onnx.py first");
        }
        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(model.toString(), options);
        input = OnnxTensor.createTensor(env, FloatBuffer.wrap(Models.pixels(size)), new long[] {1, 3, size, size});
        flop = RandomWeights.VIT_B_16.imageEncoderFlops(size);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        input.close();
        session.close();
    }

    @Benchmark
    public Object imageEncoder(Flops flops) throws OrtException {
        try (OrtSession.Result r = session.run(Map.of("pixel_values", input))) {
            flops.add(flop);
            return r.get(0).getValue();
        }
    }
}
