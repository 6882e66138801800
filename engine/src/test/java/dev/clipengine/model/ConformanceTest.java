package dev.clipengine.model;

import dev.clipengine.Fixtures;
import dev.clipengine.image.ClipPreprocess;
import dev.clipengine.image.RgbImage;
import dev.clipengine.weights.HeadCounts;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.clipengine.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The network against the independent reference ({@code testdata/fixtures/clip-tiny/golden.safetensors}),
 * for both weight formats the fixtures ship in safetensors: OpenCLIP names and Hugging Face names.
 * Tolerances are the fixtures README's: pixels 1e-5, features/correlations/logits 1e-4.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConformanceTest {

    static final float PIXEL_TOL = 1e-5f, FEATURE_TOL = 1e-4f;

    SafetensorsFile golden;
    ClipModel openClip, huggingFace;

    @BeforeAll
    void load() throws IOException {
        Path dir = Fixtures.clipTiny();
        golden = Fixtures.golden();
        // OpenCLIP safetensors carry no head counts; the fixture's are in the golden config (4 and 2).
        var cfg = (java.util.Map<?, ?>) Json.parse(golden.metadata().get("config"));
        HeadCounts heads = new HeadCounts(((Number) cfg.get("vheads")).intValue(), ((Number) cfg.get("theads")).intValue());
        // the OpenCLIP file is not in the repository's test data (size): its cases are skipped, by name, without it
        Path oc = dir.resolve("open_clip_model.safetensors");
        if (java.nio.file.Files.exists(oc)) openClip = ClipModel.load(oc, heads);
        huggingFace = ClipModel.load(dir.resolve("hf/model.safetensors"));
    }

    @AfterAll
    void close() {
        if (openClip != null) openClip.close();
        if (huggingFace != null) huggingFace.close();
        if (golden != null) golden.close();
    }

    /** Names only: JUnit closes AutoCloseable arguments after each invocation, and the models are shared. */
    Stream<String> models() {
        return Stream.of("open_clip", "hf");
    }

    /** Every (image, size, interpolation) the golden file holds, so an unseen fixture is covered the same way. */
    Stream<Arguments> imageCases() {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("img(\\d+)\\.s(\\d+)\\.pixels");
        List<Arguments> out = new ArrayList<>();
        for (String model : List.of("open_clip", "hf")) {
            for (String key : golden.tensors().keySet()) {
                var m = p.matcher(key);
                if (!m.matches()) continue;
                int img = Integer.parseInt(m.group(1)), size = Integer.parseInt(m.group(2));
                out.add(Arguments.of(model, img, size, PositionalInterpolation.BICUBIC, ""));
                if (golden.contains("img" + img + ".s" + size + ".trasepos.tokens")) {
                    out.add(Arguments.of(model, img, size, PositionalInterpolation.CLIPTRASE, "trasepos."));
                }
            }
        }
        if (out.isEmpty()) throw new AssertionError("golden file holds no image cases");
        return out.stream();
    }

    ClipModel model(String name) {
        if (!name.equals("open_clip")) return huggingFace;
        Fixtures.optional("open_clip_model.safetensors");
        return openClip;
    }

    RgbImage goldenImage(int i) throws IOException {
        return Fixtures.goldenImage(golden, "img" + i + ".rgb");
    }

    float[] g(String key) throws IOException {
        return golden.tensor(key).toFloatArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void textEmbeddingsMatch(String name) throws IOException {
        ClipModel clip = model(name);
        List<?> texts = (List<?>) Json.parse(golden.metadata().get("texts"));
        long[] ids = golden.tensor("text.ids").toLongArray();
        float[] embeds = g("text.embeds");
        int e = clip.config().embedDim();
        for (int t = 0; t < texts.size(); t++) {
            ClipModel.TextEmbedding out = clip.embedText((String) texts.get(t));
            int ctx = out.ids().length;
            for (int k = 0; k < ctx; k++) assertEquals(ids[t * ctx + k], out.ids()[k], "text " + t + " token " + k);
            float[] expected = java.util.Arrays.copyOfRange(embeds, t * e, (t + 1) * e);
            assertClose(expected, out.embedding(), FEATURE_TOL, name + " text " + t + " embedding");
        }
    }

    @ParameterizedTest(name = "{0} img{1} s{2} {3}")
    @MethodSource("imageCases")
    void imageTowerMatches(String name, int img, int size, PositionalInterpolation interp, String variant) throws IOException {
        ClipModel clip = model(name);
        String key = "img" + img + ".s" + size + "." + variant;
        float[] pixels = ClipPreprocess.clipPixels(goldenImage(img), size);
        assertClose(g("img" + img + ".s" + size + ".pixels"), pixels, PIXEL_TOL, key + "pixels");

        VisionOutput vanilla = clip.vision().forward(pixels, size, size, interp, AttentionMode.STANDARD, false, true);
        assertClose(g(key + "tokens"), vanilla.tokens(), FEATURE_TOL, name + " " + key + "tokens");
        assertClose(g(key + "image_embed"), vanilla.imageEmbedding(), FEATURE_TOL, name + " " + key + "image_embed");
        assertClose(g(key + "attn_last"), vanilla.lastAttention(), FEATURE_TOL, name + " " + key + "attn_last");

        VisionOutput trase = clip.vision().forward(pixels, size, size, interp, AttentionMode.CLIPTRASE, true, false);
        assertClose(g(key + "trase.tokens"), trase.tokens(), FEATURE_TOL, name + " " + key + "trase.tokens");
        assertClose(g(key + "trase.W"), trase.correlation(), FEATURE_TOL, name + " " + key + "trase.W");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void zeroShotLogitsMatch(String name) throws IOException {
        ClipModel clip = model(name);
        List<?> texts = (List<?>) Json.parse(golden.metadata().get("texts"));
        float[][] textEmb = new float[texts.size()][];
        for (int t = 0; t < texts.size(); t++) textEmb[t] = clip.embedText((String) texts.get(t)).embedding();
        float[] expected = g("logits_per_image");
        int native_ = clip.config().imageSize();
        int images = golden.tensor("logits_per_image").dim(0);
        for (int img = 0; img < images; img++) {
            float[] image = clip.encodeImage(goldenImage(img), native_, PositionalInterpolation.BICUBIC).imageEmbedding();
            float[] logits = ZeroShot.logits(image, textEmb, clip.logitScale());
            float[] row = java.util.Arrays.copyOfRange(expected, img * texts.size(), (img + 1) * texts.size());
            assertClose(row, logits, FEATURE_TOL, name + " logits_per_image row " + img);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void bothFormatsDescribeTheSameArchitecture(String name) {
        ClipModel clip = model(name);
        var c = (java.util.Map<?, ?>) Json.parse(golden.metadata().get("config"));
        String[] keys = {"embed_dim", "res", "patch", "vwidth", "vlayers", "vheads", "ctx", "vocab", "twidth", "tlayers", "theads"};
        int[] expected = new int[keys.length];
        for (int i = 0; i < keys.length; i++) expected[i] = ((Number) c.get(keys[i])).intValue();
        assertArrayEquals(expected,
                new int[] {clip.config().embedDim(), clip.config().imageSize(), clip.config().patchSize(),
                        clip.config().visionWidth(), clip.config().visionLayers(), clip.config().visionHeads(),
                        clip.config().contextLength(), clip.config().vocabSize(), clip.config().textWidth(),
                        clip.config().textLayers(), clip.config().textHeads()}, name + " vs golden config " + c);
    }
}
