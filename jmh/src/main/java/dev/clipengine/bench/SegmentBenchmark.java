package dev.clipengine.bench;

import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.RandomWeights;
import dev.clipengine.model.VisionOutput;
import dev.clipengine.model.VisionRequest;
import dev.clipengine.segment.PatchLogits;
import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.Segmentation;
import dev.clipengine.segment.Segmenter;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.segmentation.ClusterVoting;
import dev.clipengine.segmentation.Dbscan;
import dev.clipengine.segmentation.Denoise;
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

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * CLIPtrase {@code segment} on random ViT-B/16 weights with the text features cached (a vocabulary reused over many
 * images), and its breakdown measured separately on the same inputs: {@link #network} (the image tower with the
 * CLIPtrase last block and the correlation W), {@link #dbscan} (CLS-row denoising and DBSCAN on W) and
 * {@link #postprocess} (logit up-sampling, prototypes, median smoothing, voting). {@link #segment} is the whole call,
 * including the crop and normalisation of the S×S input picture.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE})
public class SegmentBenchmark {

    @Param({"224", "336"})
    public int size;

    @Param({"F32"})
    public DType dtype;

    private ClipModel clip;
    private Segmenter segmenter;
    private Vocabulary vocabulary;
    private RgbImage picture;
    private float[] pixels, logits, w, denoised;
    private int[] labels;
    private int grid;
    private VisionOutput lastOutput;
    private float[][] lastText;

    @Setup(Level.Trial)
    public void setUp() {
        clip = Models.vitB16(dtype);
        vocabulary = Vocabulary.parse("road, sky, tree, building, car, person", null);
        SegmentOptions d = SegmentOptions.defaults().withSize(size);
        segmenter = new Segmenter(clip, new SegmentOptions(size, d.protocol(), null, null, null, d.denoise(),
                d.posInterp(), List.of("a photo of a {}.")));
        float[][] text = segmenter.textFeatures(vocabulary);   // cached from here on
        picture = RandomWeights.syntheticScene(size);
        pixels = Models.pixels(size);
        VisionOutput out = network();
        grid = out.gridH();
        int n = grid * grid;
        // the pipeline's own patch-logits stage, with CLIPtrase's precision and scale
        logits = PatchLogits.of(out, text, PatchLogits.Precision.FLOAT, Segmenter.LOGIT_SCALE);
        w = out.correlation();
        lastOutput = out;
        lastText = text;
        denoised = Denoise.clsRow(w, n + 1);
        labels = Dbscan.fit(denoised, n, n, segmenter.options().effectiveEps(), segmenter.options().effectiveMinSamples());
    }

    @Benchmark
    public Segmentation segment() {
        return segmenter.segment(picture, vocabulary);
    }

    @Benchmark
    public VisionOutput network() {
        return clip.vision().forward(pixels, size, size, VisionRequest.cliptrase(segmenter.options().posInterp()));
    }

    /** The patch-logits stage alone (every method's; CLIPtrase's float32 precision). */
    @Benchmark
    public float[] patchLogits() {
        return PatchLogits.of(lastOutput, lastText, PatchLogits.Precision.FLOAT, Segmenter.LOGIT_SCALE);
    }

    @Benchmark
    public int[] dbscan() {
        int n = grid * grid;
        float[] m = Denoise.clsRow(w, n + 1);
        return Dbscan.fit(m, n, n, segmenter.options().effectiveEps(), segmenter.options().effectiveMinSamples());
    }

    @Benchmark
    public ClusterVoting.Result postprocess() {
        return ClusterVoting.run(logits, vocabulary.classes().size(), grid, grid, null, vocabulary.classes().size(),
                false, denoised, labels, size, size);
    }
}
