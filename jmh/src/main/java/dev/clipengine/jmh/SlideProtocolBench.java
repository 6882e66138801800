package dev.clipengine.jmh;

import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.segment.Method;
import dev.clipengine.segment.Profile;
import dev.clipengine.segment.QueryVocabulary;
import dev.clipengine.segment.SlideSegmenter;
import dev.clipengine.weights.ClipCheckpoint;
import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.DType;
import dev.clipengine.weights.SafetensorsWriter;
import dev.clipengine.weights.Tensor;
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
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One image through the slide protocol per method (training-free-methods.md §3): a 500×375 image rescaled to 448×336,
 * six 224 windows with stride 112 through a ViT-B/16 with random weights (speed depends on shapes, not values),
 * then the VOC21 decision at the original size (profile sclip-voc21: 56 queries, logit scale 65, prob and area
 * thresholds). Query features are computed once in the setup (one template, to keep the setup short); the measured
 * operation is everything per image: resize, normalization, the six forwards, logits, averaging, upsampling, decision.
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

    /** OpenAI's ViT-B/16 (both towers), the architecture the figure is about. */
    static final ClipConfig VIT_B_16 = new ClipConfig(512, 224, 16, 768, 12, 12, 3072, 77, 49408, 512, 12, 8, 2048);

    @Param({"vanilla", "maskclip", "maskclip-reduced", "sclip", "clearclip", "naclip"})
    public String method;

    /** Weight storage; the compute is fp32 either way. */
    @Param({"F32"})
    public String dtype;

    private Arena arena;
    private ClipModel model;
    private SlideSegmenter segmenter;
    private QueryVocabulary vocabulary;
    private RgbImage image;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        arena = Arena.ofShared();
        Path file = Files.createTempFile("slide-bench-", ".safetensors");
        try {
            writeRandom(file, VIT_B_16, DType.valueOf(dtype), 7);
            model = ClipModel.load(file);
        } finally {
            Files.deleteIfExists(file);     // the mapping outlives the name
        }
        Method m = Method.parse(method);
        segmenter = new SlideSegmenter(model, Profile.named("sclip-voc21").options(m, Method.DEFAULT_SIGMA, List.of("a photo of a {}.")));
        vocabulary = QueryVocabulary.bundled("voc21");
        segmenter.textFeatures(vocabulary);
        image = testImage(500, 375);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (model != null) model.close();
        if (arena != null) arena.close();
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

    /**
     * A canonical file of random weights: layer norms as identity, matrices uniform with standard deviation about
     * 1/sqrt(fan_in) so activations stay O(1), logit scale ln 100.
     */
    void writeRandom(Path out, ClipConfig config, DType type, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Tensor> tensors = new ArrayList<>();
        for (Map.Entry<String, long[]> e : config.tensorShapes().entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            long n = 1;
            for (long s : shape) n *= s;
            MemorySegment data = arena.allocate(n * 4, 64);
            boolean norm = name.contains("ln_") && name.endsWith(".weight");
            float constant = name.equals("logit_scale") ? (float) Math.log(100) : norm ? 1f : Float.NaN;
            long fanIn = shape.length < 2 ? 1 : n / shape[0];
            if (name.equals("visual.proj") || name.equals("text_projection")) fanIn = shape[0];
            float scale = name.endsWith(".bias") ? 0.02f : shape.length < 2 ? 0.05f : (float) Math.sqrt(3.0 / fanIn);
            for (long i = 0; i < n; i++) {
                float v = Float.isNaN(constant) ? (float) ((2 * rnd.nextDouble() - 1) * scale) : constant;
                data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
            }
            tensors.add(new Tensor(name, DType.F32, shape, data));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", ClipCheckpoint.CANONICAL_FORMAT);
        metadata.put("format_version", ClipCheckpoint.CANONICAL_VERSION);
        metadata.put("config", config.toJson());
        metadata.put("source", "random-" + seed);
        SafetensorsWriter.write(out, metadata, tensors, type, 64);
    }
}
