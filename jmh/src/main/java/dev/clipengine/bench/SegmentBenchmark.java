package dev.clipengine.bench;

import dev.clipengine.image.ClipPreprocess;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.RandomWeights;
import dev.clipengine.model.VisionOutput;
import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.Segmentation;
import dev.clipengine.segment.Segmenter;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.segmentation.ClusterVoting;
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
 * {@link #postprocess} (logit up-sampling, prototypes, median smoothing, voting), each the pipeline's own named stage
 * ({@link Segmenter#network}, {@link Segmenter#scores}, {@link Segmenter#clusters}, {@link Segmenter#vote}).
 * {@link #segment} is the whole call, including the crop and normalisation of the S×S input picture.
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
    private RgbImage input;
    private VisionOutput lastOutput;
    private float[][] lastText;
    private Segmenter.Pass pass;

    @Setup(Level.Trial)
    public void setUp() {
        clip = Models.vitB16(dtype);
        vocabulary = Vocabulary.parse("road, sky, tree, building, car, person", null);
        SegmentOptions d = SegmentOptions.defaults().withSize(size);
        segmenter = new Segmenter(clip, new SegmentOptions(size, SegmentOptions.Protocol.CLIPTRASE, null, null, null, d.denoise(),
                d.posInterp(), List.of("a photo of a {}.")));
        float[][] text = segmenter.textFeatures(vocabulary);   // cached from here on
        picture = RandomWeights.syntheticScene(size);
        input = ClipPreprocess.resizeShortSideCenterCrop(picture, size);
        lastOutput = network();
        lastText = text;
        Segmenter.Scores scores = patchLogits();
        Segmenter.Clusters clusters = dbscan();
        pass = new Segmenter.Pass(lastOutput.gridH(), lastOutput.gridW(), scores.rows(), scores.logits(),
                scores.classWeights(), clusters.m(), clusters.labels());
    }

    @Benchmark
    public Segmentation segment() {
        return segmenter.segment(picture, vocabulary);
    }

    /** The pipeline's stages one at a time, on the inputs of the previous one ({@link Segmenter}'s named stages). */
    @Benchmark
    public VisionOutput network() {
        return segmenter.network(input);
    }

    /** Patch logits and [CLS] weights (every method's patch-logits step; CLIPtrase's float32 precision). */
    @Benchmark
    public Segmenter.Scores patchLogits() {
        return segmenter.scores(lastOutput, vocabulary, lastText);
    }

    /** CLS-row denoising and DBSCAN on W. */
    @Benchmark
    public Segmenter.Clusters dbscan() {
        return segmenter.clusters(lastOutput);
    }

    /** Up-sampling, prototypes, median smoothing and the vote at S×S. */
    @Benchmark
    public ClusterVoting.Result postprocess() {
        return segmenter.vote(pass, vocabulary, size);
    }
}
