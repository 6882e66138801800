package dev.clipengine.jmh;

import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.RandomWeights;
import dev.clipengine.segment.Method;
import dev.clipengine.segment.Profile;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.segment.SlideSegmenter;
import dev.clipengine.weights.DType;
import dev.clipengine.weights.SafetensorsWriter;
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
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One image through the slide protocol per method (docs/training-free-methods.md §3): a 500×375 image rescaled to 448×336,
 * six 224 windows with stride 112 through a ViT-B/16 with random weights (speed depends on shapes, not values),
 * then the VOC21 decision at the original size (profile sclip-voc21: 56 queries, logit scale 65, prob and area
 * thresholds). Query features are computed once in the setup (one template, to keep the setup short); the measured
 * operation is everything per image: resize, normalization, the six forwards, logits, averaging, upsampling, decision.
 *
 * <p>{@code scclip} and {@code resclip} (docs/mid-layer-methods.md) run the same windows and decision; their last
 * block is rebuilt from the middle blocks, and ResCLIP's includes a first pass with PAMR per window (ResCLIP's
 * constants: the repository's demo settings, which the sclip-voc21 profile leaves at their defaults).
 *
 * <p>The random weights are written with {@link SafetensorsWriter} into a temporary canonical file, mapped, and the
 * file name deleted at once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
public class SlideProtocolBench {

    @Param({"vanilla", "maskclip", "maskclip-reduced", "sclip", "clearclip", "naclip", "scclip", "resclip"})
    public String method;

    /** Weight storage; the compute is fp32 either way. */
    @Param({"F32"})
    public String dtype;

    private ClipModel model;
    private SlideSegmenter segmenter;
    private Vocabulary vocabulary;
    private RgbImage image;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        model = RandomWeights.load(RandomWeights.VIT_B_16, DType.valueOf(dtype), 7);
        Method m = Method.parse(method);
        segmenter = new SlideSegmenter(model, Profile.named("sclip-voc21").options(m, Method.DEFAULT_SIGMA, List.of("a photo of a {}.")));
        vocabulary = Vocabulary.nameFile("voc21");
        segmenter.textFeatures(vocabulary);
        image = testImage(500, 375);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (model != null) model.close();
    }

    @Benchmark
    public int[] slide() {
        return segmenter.segment(image, vocabulary).labels();
    }

    /** Smooth gradients plus noise: a deterministic photo stand-in (content does not change the work done). */
    static RgbImage testImage(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        SplittableRandom r = new SplittableRandom(1);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = 3 * (y * w + x);
                rgb[i] = (byte) (x * 255 / w + r.nextInt(16));
                rgb[i + 1] = (byte) (y * 255 / h + r.nextInt(16));
                rgb[i + 2] = (byte) ((x + y) * 127 / (w + h) + r.nextInt(16));
            }
        }
        return new RgbImage(w, h, rgb);
    }

}
