package dev.clipengine.bench;

import dev.clipengine.heads.ReclipHead;
import dev.clipengine.heads.SeedHeadRandomWeights;
import dev.clipengine.heads.ZegclipHead;
import dev.clipengine.image.RgbImage;
import dev.clipengine.kernels.Backends;
import dev.clipengine.model.RandomWeights;
import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.Segmenter;
import dev.clipengine.segment.Vocabulary;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One 512×512 image through each seed head with ViT-B/16-shaped random weights (docs/seed-heads.md), next to plain
 * CLIPtrase {@code segment} on the same image in the same run: ReCLIP++ at short side 512 (a 32×32 grid, 20 classes,
 * reference prompts cached as the command line does), ZegCLIP and TagCLIP at their 512 crop (one window, 20 classes,
 * 10 deep prompts), CLIPtrase at its default 336. The text side is set up once: every figure is the per-image cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE, "-Xmx4g"})
public class SeedHeadsBenchmark {

    static final int CLASSES = 20, SIZE = 512;

    @Param({"cliptrase", "reclip++", "zegclip", "tagclip"})
    public String method;

    private RgbImage image;
    private Segmenter cliptrase;
    private Vocabulary vocabulary;
    private ReclipHead reclip;
    private ZegclipHead zegclip;
    private float[] text, refPrompts;
    private ZegclipHead.Settings settings;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        image = RandomWeights.syntheticScene(SIZE);
        List<String> names = new ArrayList<>();
        for (int c = 0; c < CLASSES; c++) names.add("class " + c);
        text = SeedHeadRandomWeights.textRows(CLASSES, 3);
        switch (method) {
            case "cliptrase" -> {
                vocabulary = Vocabulary.parse(String.join(",", names), null);
                cliptrase = new Segmenter(Models.vitB16(DType.F32), SegmentOptions.defaults());
                cliptrase.textFeatures(vocabulary);   // cached from here on
            }
            case "reclip++" -> {
                reclip = SeedHeadRandomWeights.reclip(CLASSES, 1, Backends.cpu());
                refPrompts = reclip.referencePrompts(names, null);
            }
            case "zegclip", "tagclip" -> {
                zegclip = SeedHeadRandomWeights.zegclip(method.equals("tagclip"), 1, Backends.cpu());
                settings = zegclip.defaults(CLASSES);
            }
            default -> throw new IllegalArgumentException(method);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (reclip != null) reclip.close();
        if (zegclip != null) zegclip.close();
    }

    @Benchmark
    public int[] segment() {
        return switch (method) {
            case "cliptrase" -> cliptrase.segment(image, vocabulary).labels();
            case "reclip++" -> reclip.run(image, SIZE, 0.5f, text, refPrompts).pred();
            default -> zegclip.run(image, text, settings).pred();
        };
    }
}
