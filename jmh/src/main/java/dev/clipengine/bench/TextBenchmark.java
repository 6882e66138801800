package dev.clipengine.bench;

import dev.clipengine.model.ClipModel;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.weights.DType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The text tower for one class with the 80 ImageNet templates (what prompt ensembling costs per class name):
 * {@link #batched} encodes them as one batch, {@link #oneByOne} is the baseline in the same run (one prompt per call,
 * as before batching). Both include tokenization.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE})
public class TextBenchmark {

    private ClipModel clip;
    private List<String> prompts;

    @Setup(Level.Trial)
    public void setUp() {
        clip = Models.vitB16(DType.F32);
        prompts = Vocabulary.imageNetTemplates().stream().map(t -> t.replace("{}", "golden retriever")).toList();
    }

    @Benchmark
    public float[][] batched() {
        return clip.embedTexts(prompts);
    }

    @Benchmark
    public float[][] oneByOne() {
        float[][] out = new float[prompts.size()][];
        for (int i = 0; i < out.length; i++) out[i] = clip.embedText(prompts.get(i)).embedding();
        return out;
    }
}
