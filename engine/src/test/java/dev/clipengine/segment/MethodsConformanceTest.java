package dev.clipengine.segment;

import dev.clipengine.Fixtures;
import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.segmentation.SlideGeometry;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.clipengine.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training-free family against {@code clip-tiny/methods/} (docs/training-free-methods.md, fixtures README
 * "methods/"): OpenCV resize, normalized pixels, query features, each method's whole-image features, SCLIP's
 * averaged slide logits, and every method's label map under both profiles wherever the reference's margin leaves
 * no doubt.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MethodsConformanceTest {

    static final String[] METHODS = {"vanilla", "maskclip", "maskclip-reduced", "sclip", "clearclip", "naclip"};

    SafetensorsFile golden;
    ClipModel model;
    RgbImage input;
    Map<?, ?> resize, slide;

    @BeforeAll
    void load() throws IOException {
        Path dir = Fixtures.clipTiny().resolve("methods");
        golden = SafetensorsFile.open(dir.resolve("golden.safetensors"));
        model = ClipModel.load(Fixtures.clipTiny().resolve("hf"));
        input = ImageDecoder.read(dir.resolve("input.png"));
        resize = (Map<?, ?>) Json.parse(golden.metadata().get("resize"));
        slide = (Map<?, ?>) Json.parse(golden.metadata().get("slide"));
    }

    @AfterAll
    void close() {
        if (model != null) model.close();
        if (golden != null) golden.close();
    }

    int num(Map<?, ?> m, String key) {
        return ((Number) m.get(key)).intValue();
    }

    /** The fixture's protocol: short side 96, windows 64 / 32, profile thresholds per case. */
    SlideOptions options(String method, String profile) {
        float scale = profile.equals("sclip") ? 65f : 40f, prob = 0.1f;
        Float area = profile.equals("sclip") ? 0.1f : null;
        Method m = Method.parse(method);
        return new SlideOptions(m, Method.DEFAULT_SIGMA, num(resize, "short_side"), num(resize, "max_long"), num(slide, "crop"),
                num(slide, "stride"), scale, prob, area, m == Method.NACLIP, false, PositionalInterpolation.CLIPTRASE,
                Vocabulary.imageNetTemplates());
    }

    @Test
    void openCvResizeMatches() throws IOException {
        SlideSegmenter s = new SlideSegmenter(model, options("sclip", "sclip"));
        RgbImage r = s.rescale(input);
        List<?> wh = (List<?>) resize.get("resized_wh");
        assertEquals(((Number) wh.get(0)).intValue(), r.width());
        assertEquals(((Number) wh.get(1)).intValue(), r.height());
        byte[] bgr = golden.tensor("input.resized_bgr").data().toArray(ValueLayout.JAVA_BYTE);
        int off = 0, offByOne = 0;
        for (int p = 0; p < r.width() * r.height(); p++) {
            for (int c = 0; c < 3; c++) {
                int d = Math.abs((bgr[3 * p + 2 - c] & 0xff) - (r.rgb()[3 * p + c] & 0xff));
                if (d > 1) off++;
                if (d == 1) offByOne++;
            }
        }
        System.out.printf("OpenCV resize: %d of %d values differ by 1, %d by more%n", offByOne, bgr.length, off);
        assertEquals(0, off, "values off by more than 1");
        assertTrue(offByOne <= bgr.length * 0.005, offByOne + " values off by one");
        assertEquals(0, offByOne, "the 128-bit lane split should reproduce this row width exactly");
        assertClose(golden.tensor("input.pixels").toFloatArray(), SlideSegmenter.normalize(r), 1e-5f, "input.pixels");
    }

    @Test
    void queryFeaturesMatch() throws IOException {
        Vocabulary v = Vocabulary.nameFile("voc21");
        assertEquals(Json.parse(golden.metadata().get("queries")), v.textRows());
        List<?> qc = (List<?>) Json.parse(golden.metadata().get("query_class"));
        assertArrayEquals(qc.stream().mapToInt(o -> ((Number) o).intValue()).toArray(), v.rowLabels());
        float[][] t = new SlideSegmenter(model, options("sclip", "sclip")).textFeatures(v);
        assertClose(golden.tensor("text.voc21_queries").toFloatArray(), SegmentConformanceTest.flatten(t), 1e-4f, "text.voc21_queries");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vanilla", "maskclip", "maskclip-reduced", "sclip", "clearclip", "naclip"})
    void wholeImageFeaturesMatch(String method) throws IOException {
        SlideSegmenter s = new SlideSegmenter(model, options(method, "naclip"));
        RgbImage r = s.rescale(input);
        float[] f = s.wholeFeatures(SlideSegmenter.normalize(r), r.height(), r.width());
        float[] expected = golden.tensor(method + ".whole.features").toFloatArray();
        System.out.printf("%s.whole.features: max |diff| %.3g%n", method, Fixtures.maxAbsDiff(expected, f));
        assertClose(expected, f, 1e-4f, method + ".whole.features");
    }

    @Test
    void sclipSlideLogitsMatch() throws IOException {
        SlideSegmenter s = new SlideSegmenter(model, options("sclip", "sclip"));
        RgbImage r = s.rescale(input);
        var boxes = SlideGeometry.windows(r.height(), r.width(), num(slide, "crop"), num(slide, "stride"));
        List<?> expectedBoxes = (List<?>) ((Map<?, ?>) ((Map<?, ?>) Json.parse(golden.metadata().get("cases"))).get("sclip")).get("windows");
        assertEquals(expectedBoxes.size(), boxes.size());
        for (int i = 0; i < boxes.size(); i++) {
            var b = boxes.get(i);
            assertEquals(List.of((long) b.y1(), (long) b.x1(), (long) b.y2(), (long) b.x2()), expectedBoxes.get(i), "window " + i);
        }
        float[] logits = s.slideLogits(SlideSegmenter.normalize(r), r.height(), r.width(), boxes,
                s.textFeatures(Vocabulary.nameFile("voc21")));
        float[] expected = golden.tensor("sclip.slide.logits_resized").toFloatArray();
        System.out.printf("sclip.slide.logits_resized: max |diff| %.3g%n", Fixtures.maxAbsDiff(expected, logits));
        assertClose(expected, logits, 1e-4f, "sclip.slide.logits_resized");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vanilla", "maskclip", "maskclip-reduced", "sclip", "clearclip", "naclip"})
    void labelMapsMatchWhereDecided(String method) throws IOException {
        for (String profile : new String[] {"sclip", "naclip"}) {
            String key = method + ".slide." + profile;
            SlideSegmenter.Result r = new SlideSegmenter(model, options(method, profile)).segment(input, Vocabulary.nameFile("voc21"));
            assertEquals(input.width(), r.width());
            assertEquals(input.height(), r.height());
            int[] ties = compareWhereDecided(golden, key, r.labels());
            System.out.printf("%s: pred identical on %d decided pixels; %d near-tie pixels (margin < 1e-4), %d of them differ%n",
                    key, r.labels().length - ties[0], ties[0], ties[1]);
        }
    }

    /** Asserts equality where the margin is at least 1e-4; returns {near ties, near ties that differ}. */
    static int[] compareWhereDecided(SafetensorsFile golden, String key, int[] labels) throws IOException {
        long[] pred = golden.tensor(key + ".pred").toLongArray();
        float[] margin = golden.tensor(key + ".margin").toFloatArray();
        assertEquals(pred.length, labels.length);
        int ties = 0, differ = 0;
        for (int p = 0; p < pred.length; p++) {
            if (margin[p] >= 1e-4f) {
                assertEquals(pred[p], labels[p], key + " label at pixel " + p + " (margin " + margin[p] + ")");
            } else {
                ties++;
                if (pred[p] != labels[p]) differ++;
            }
        }
        return new int[] {ties, differ};
    }
}
