package dev.clipengine.segment;

import dev.clipengine.Fixtures;
import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.midlayer.ResClipEncoder;
import dev.clipengine.midlayer.ResClipResult;
import dev.clipengine.midlayer.ResClipSettings;
import dev.clipengine.midlayer.ScClipEncoder;
import dev.clipengine.midlayer.ScClipResult;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.segmentation.SlideGeometry;
import dev.clipengine.segmentation.SlideGeometry.Window;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.clipengine.Fixtures.assertCloseToScale;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * SC-CLIP and ResCLIP under the slide protocol against {@code clip-tiny12/methods/} (docs/mid-layer-methods.md; keys and
 * tolerances in testdata/README.md): each window's outliers, patch labels and logits, SC-CLIP's averaged slide logits,
 * and the label map of each profile wherever the stored margin decides. Windows, sizes and constants come from the
 * golden's metadata ({@code slide}, {@code profiles}), so another model or image of the same layout is checked the
 * same way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MidLayerMethodsConformanceTest {

    SafetensorsFile golden;
    ClipModel model;
    RgbImage input;
    Map<?, ?> resize, slide, profiles, cases;
    Vocabulary vocabulary;

    @BeforeAll
    void load() throws IOException {
        Path dir = Fixtures.clipTiny12();
        golden = SafetensorsFile.open(dir.resolve("methods/golden.safetensors"));
        model = ClipModel.load(dir);
        input = ImageDecoder.read(dir.resolve("methods/input.png"));
        resize = (Map<?, ?>) Json.parse(golden.metadata().get("resize"));
        slide = (Map<?, ?>) Json.parse(golden.metadata().get("slide"));
        profiles = (Map<?, ?>) Json.parse(golden.metadata().get("profiles"));
        cases = (Map<?, ?>) Json.parse(golden.metadata().get("cases"));
        vocabulary = Vocabulary.nameFile("voc21");
        assertEquals(Json.parse(golden.metadata().get("queries")), vocabulary.textRows());
    }

    @AfterAll
    void close() {
        if (model != null) model.close();
        if (golden != null) golden.close();
    }

    static int num(Object m, String key) {
        return ((Number) ((Map<?, ?>) m).get(key)).intValue();
    }

    static float f(Object o) {
        return ((Number) o).floatValue();
    }

    /** The options of a stored profile ({@code scclip.slide.voc21}, …) on the fixture's rescale and windows. */
    SlideOptions options(String profile) {
        Map<?, ?> p = (Map<?, ?>) profiles.get(profile);
        Method m = Method.parse((String) p.get("method"));
        boolean whole = p.get("inference").equals("whole");
        Map<?, ?> window = (Map<?, ?>) slide.get(m.cliName());
        Object area = p.get("area_thd");
        ResClipSettings rc = ResClipSettings.defaults();
        double sigma = Method.DEFAULT_SIGMA;
        if (m == Method.RESCLIP) {
            List<?> rcs = (List<?>) p.get("rcs"), sfr = (List<?>) p.get("sfr");
            sigma = ((Number) ((Map<?, ?>) Json.parse(golden.metadata().get("resclip"))).get("sigma")).doubleValue();
            rc = new ResClipSettings(f(p.get("temp_thd")), f(rcs.get(0)), f(rcs.get(1)), f(sfr.get(0)), f(sfr.get(1)), sigma);
        }
        return new SlideOptions(m, sigma, num(resize, "short_side"), num(resize, "max_long"), whole ? 0 : num(window, "crop"),
                whole ? 0 : num(window, "stride"), f(p.get("logit_scale")), f(p.get("prob_thd")), area == null ? null : f(area),
                m == Method.RESCLIP, false, PositionalInterpolation.CLIPTRASE, Vocabulary.imageNetTemplates(), rc, null);
    }

    long[] longs(String key) throws IOException {
        return golden.tensor(key).toLongArray();
    }

    /** The stored windows equal the protocol's, and each window's pixels. */
    List<Window> windows(SlideSegmenter s, RgbImage r, String method) {
        Map<?, ?> window = (Map<?, ?>) slide.get(method);
        List<Window> boxes = SlideGeometry.windows(r.height(), r.width(), num(window, "crop"), num(window, "stride"));
        Object stored = ((Map<?, ?>) cases.get(method + ".slide")).get("windows");
        if (stored != null) {
            List<?> expected = (List<?>) stored;
            assertEquals(expected.size(), boxes.size(), "windows");
            for (int i = 0; i < boxes.size(); i++) {
                Window b = boxes.get(i);
                assertEquals(List.of((long) b.y1(), (long) b.x1(), (long) b.y2(), (long) b.x2()), expected.get(i), "window " + i);
            }
        }
        return boxes;
    }

    static float[] window(float[] pixels, int h, int w, Window b) {
        int wh = b.height(), ww = b.width();
        float[] out = new float[3 * wh * ww];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < wh; y++) System.arraycopy(pixels, (c * h + b.y1() + y) * w + b.x1(), out, (c * wh + y) * ww, ww);
        }
        return out;
    }

    static float[] logits(int gh, int gw, int embed, float[] features, float[][] text) {
        return PatchLogits.of(MidLayerFeatures.withEmptyClassRow(gh, gw, embed, features), text, PatchLogits.Precision.DOUBLE, 1f);
    }

    @Test
    void scclipWindowsAndSlideLogitsMatch() throws IOException {
        SlideSegmenter s = new SlideSegmenter(model, options("scclip.slide.voc21"));
        RgbImage r = s.rescale(input);
        float[] pixels = SlideSegmenter.normalize(r);
        float[][] text = s.textFeatures(vocabulary);
        List<Window> boxes = windows(s, r, "scclip");
        long[] outliers = longs("scclip.slide.window_outliers");
        float[] windowLogits = golden.tensor("scclip.slide.window_logits").toFloatArray();
        int per = windowLogits.length / boxes.size(), perOutliers = outliers.length / boxes.size();
        ScClipEncoder encoder = new ScClipEncoder(model.vision());
        for (int i = 0; i < boxes.size(); i++) {
            Window b = boxes.get(i);
            ScClipResult e = encoder.encode(window(pixels, r.height(), r.width(), b), b.height(), b.width(), PositionalInterpolation.CLIPTRASE);
            assertArrayEquals(Arrays.copyOfRange(outliers, i * perOutliers, (i + 1) * perOutliers),
                    Arrays.stream(e.outliers()).asLongStream().toArray(), "scclip.slide.window_outliers[" + i + "]");
            assertCloseToScale(Arrays.copyOfRange(windowLogits, i * per, (i + 1) * per),
                    logits(e.gridH(), e.gridW(), e.embedDim(), e.features(), text), 1e-4f,
                    "scclip.slide.window_logits[" + i + "]");
        }
        float[] logits = s.slideLogits(pixels, r.height(), r.width(), boxes, text);
        assertCloseToScale(golden.tensor("scclip.slide.logits_resized").toFloatArray(), logits, 1e-4f, "scclip.slide.logits_resized");
    }

    @Test
    void resclipWindowsMatch() throws IOException {
        SlideOptions o = options("resclip.slide.voc21");
        SlideSegmenter s = new SlideSegmenter(model, o);
        RgbImage r = s.rescale(input);
        float[] pixels = SlideSegmenter.normalize(r);
        float[][] text = s.textFeatures(vocabulary);
        List<Window> boxes = windows(s, r, "resclip");
        long[] patchLabels = longs("resclip.slide.window_patch_labels");
        float[] windowLogits = golden.tensor("resclip.slide.window_logits").toFloatArray();
        int per = windowLogits.length / boxes.size(), perLabels = patchLabels.length / boxes.size();
        ResClipEncoder encoder = new ResClipEncoder(model.vision());
        for (int i = 0; i < boxes.size(); i++) {
            Window b = boxes.get(i);
            ResClipResult e = encoder.encode(window(pixels, r.height(), r.width(), b), b.height(), b.width(),
                    PositionalInterpolation.CLIPTRASE, text, o.logitScale(), o.resclipSettings());
            assertArrayEquals(Arrays.copyOfRange(patchLabels, i * perLabels, (i + 1) * perLabels),
                    Arrays.stream(e.patchLabels()).asLongStream().toArray(), "resclip.slide.window_patch_labels[" + i + "]");
            assertCloseToScale(Arrays.copyOfRange(windowLogits, i * per, (i + 1) * per),
                    logits(e.gridH(), e.gridW(), e.embedDim(), e.features(), text), 1e-4f,
                    "resclip.slide.window_logits[" + i + "]");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"scclip.slide.voc21", "resclip.whole.voc21", "resclip.slide.voc21"})
    void labelMapsMatchWhereDecided(String profile) throws IOException {
        SlideSegmenter.Result r = new SlideSegmenter(model, options(profile)).segment(input, vocabulary);
        assertEquals(input.width(), r.width());
        assertEquals(input.height(), r.height());
        int[] ties = MethodsConformanceTest.compareWhereDecided(golden, profile, r.labels());
        System.out.printf("%s: pred identical on %d decided pixels; %d near-tie pixels (margin < 1e-4), %d of them differ%n",
                profile, r.labels().length - ties[0], ties[0], ties[1]);
    }
}
