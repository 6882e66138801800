package dev.clipengine.midlayer;

import dev.clipengine.Fixtures;
import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.segment.TextFeatures;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.segmentation.OpenCvResize;
import dev.clipengine.segmentation.SlideGeometry;
import dev.clipengine.segment.SlideSegmenter;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.clipengine.Fixtures.assertCloseToScale;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SC-CLIP's and ResCLIP's encoders against {@code clip-tiny12/methods/} (docs/mid-layer-methods.md; the keys and
 * tolerances are in testdata/README.md): the whole resized image through each encoder, every stored intermediate.
 * Sizes, constants and the query list come from the golden's metadata, so another model or image of the same layout is
 * checked the same way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MidLayerConformanceTest {

    static final float TOL = 1e-4f;

    SafetensorsFile golden;
    ClipModel model;
    float[] pixels;
    int height, width;
    float[][] queries;

    @BeforeAll
    void load() throws IOException {
        Path dir = Fixtures.clipTiny12();
        golden = SafetensorsFile.open(dir.resolve("methods/golden.safetensors"));
        model = ClipModel.load(dir);
        RgbImage input = ImageDecoder.read(dir.resolve("methods/input.png"));
        Map<?, ?> resize = (Map<?, ?>) Json.parse(golden.metadata().get("resize"));
        int[] size = SlideGeometry.rescaleSize(input.width(), input.height(), num(resize, "max_long"), num(resize, "short_side"));
        RgbImage resized = new RgbImage(size[0], size[1],
                OpenCvResize.linear(input.rgb(), input.width(), input.height(), 3, size[0], size[1]));
        width = size[0];
        height = size[1];
        pixels = SlideSegmenter.normalize(resized);
        assertCloseToScale(golden.tensor("input.pixels").toFloatArray(), pixels, 1e-5f, "input.pixels");
        List<String> names = ((List<?>) Json.parse(golden.metadata().get("queries"))).stream().map(Object::toString).toList();
        queries = TextFeatures.of(model, names, Vocabulary.imageNetTemplates());
        float[] flat = new float[queries.length * queries[0].length];
        for (int i = 0; i < queries.length; i++) System.arraycopy(queries[i], 0, flat, i * queries[i].length, queries[i].length);
        assertCloseToScale(golden.tensor("text.voc21_queries").toFloatArray(), flat, TOL, "text.voc21_queries");
    }

    @AfterAll
    void close() {
        if (model != null) model.close();
        if (golden != null) golden.close();
    }

    static int num(Map<?, ?> m, String key) {
        return ((Number) m.get(key)).intValue();
    }

    float[] expected(String key) throws IOException {
        return golden.tensor(key).toFloatArray();
    }

    int[] expectedInts(String key) throws IOException {
        return Arrays.stream(golden.tensor(key).toLongArray()).mapToInt(Math::toIntExact).toArray();
    }

    /** The whole resized image, trailing pixels past the last whole patch dropped (the repositories' conv1). */
    float[] wholeInput(int netH, int netW) {
        float[] out = new float[3 * netH * netW];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < netH; y++) System.arraycopy(pixels, (c * height + y) * width, out, (c * netH + y) * netW, netW);
        }
        return out;
    }

    static float[] concat(float[][] parts) {
        int len = parts[0].length;
        float[] out = new float[parts.length * len];
        for (int i = 0; i < parts.length; i++) System.arraycopy(parts[i], 0, out, i * len, len);
        return out;
    }

    static float[] normalized(float[] x, int rows, int cols) {
        return Rows.normalized(x, rows, cols);
    }

    @Test
    void scclipWholeImageMatches() throws IOException {
        int p = model.config().patchSize(), netH = height / p * p, netW = width / p * p;
        ScClipResult r = new ScClipEncoder(model.vision()).encode(wholeInput(netH, netW), netH, netW, PositionalInterpolation.CLIPTRASE);
        int t = r.gridH() * r.gridW();
        assertEquals(golden.tensor("scclip.whole.features").dim(0), t, "patches");
        assertArrayEquals(expectedInts("scclip.whole.outliers"), r.outliers(), "scclip.whole.outliers");
        assertCloseToScale(expected("scclip.whole.lof"), r.lof(), TOL, "scclip.whole.lof");
        assertCloseToScale(expected("scclip.whole.x0"), r.x0(), TOL, "scclip.whole.x0");
        assertCloseToScale(expected("scclip.whole.sim9"), r.sim9(), TOL, "scclip.whole.sim9");
        assertCloseToScale(expected("scclip.whole.agg9"), r.agg9(), TOL, "scclip.whole.agg9");
        assertCloseToScale(expected("scclip.whole.agg4"), r.agg4(), TOL, "scclip.whole.agg4");
        assertCloseToScale(expected("scclip.whole.prior"), r.prior(), TOL, "scclip.whole.prior");
        assertCloseToScale(expected("scclip.whole.attn_main"), concat(r.attnMain()), TOL, "scclip.whole.attn_main");
        assertCloseToScale(expected("scclip.whole.zsum"), r.zsum(), TOL, "scclip.whole.zsum");
        assertCloseToScale(expected("scclip.whole.main"), r.main(), TOL, "scclip.whole.main");
        assertCloseToScale(expected("scclip.whole.fuse"), r.fuse(), TOL, "scclip.whole.fuse");
        assertCloseToScale(expected("scclip.whole.features"), normalized(r.features(), t, r.embedDim()), TOL, "scclip.whole.features");
    }

    ResClipSettings resclipSettings(String profile) {
        Map<?, ?> pr = (Map<?, ?>) ((Map<?, ?>) Json.parse(golden.metadata().get("profiles"))).get(profile);
        Map<?, ?> rc = (Map<?, ?>) Json.parse(golden.metadata().get("resclip"));
        List<?> rcs = (List<?>) pr.get("rcs"), sfr = (List<?>) pr.get("sfr");
        return new ResClipSettings(f(pr.get("temp_thd")), f(rcs.get(0)), f(rcs.get(1)), f(sfr.get(0)), f(sfr.get(1)),
                ((Number) rc.get("sigma")).doubleValue());
    }

    static float f(Object o) {
        return ((Number) o).floatValue();
    }

    float pass1Scale() {
        return f(((Map<?, ?>) Json.parse(golden.metadata().get("resclip"))).get("pass1_logit_scale"));
    }

    @Test
    void resclipWholeImageMatches() throws IOException {
        ResClipResult r = new ResClipEncoder(model.vision()).encode(pixels, height, width, PositionalInterpolation.CLIPTRASE,
                queries, pass1Scale(), resclipSettings("resclip.whole.voc21"));
        int t = r.gridH() * r.gridW();
        assertCloseToScale(expected("resclip.whole.rcs"), r.rcs(), TOL, "resclip.whole.rcs");
        assertCloseToScale(expected("resclip.whole.pass1_attn"), concat(r.pass1Attn()), TOL, "resclip.whole.pass1_attn");
        assertCloseToScale(expected("resclip.whole.pass1_features"), normalized(r.pass1Features(), t, r.embedDim()), TOL,
                "resclip.whole.pass1_features");
        int[] labels = expectedInts("resclip.whole.pass1_labels");
        float[] margin = expected("resclip.whole.pass1_margin");
        int ties = 0, differ = 0;
        for (int i = 0; i < labels.length; i++) {
            if (margin[i] >= 1e-4f) {
                assertEquals(labels[i], r.pass1Labels()[i], "pass-1 label at pixel " + i + " (margin " + margin[i] + ")");
            } else {
                ties++;
                if (labels[i] != r.pass1Labels()[i]) differ++;
            }
        }
        System.out.printf("resclip.whole.pass1_labels: identical on decided pixels; %d near ties, %d differ%n", ties, differ);
        assertArrayEquals(expectedInts("resclip.whole.patch_labels"), r.patchLabels(), "resclip.whole.patch_labels");
        assertCloseToScale(expected("resclip.whole.sfr"), r.sfr(), TOL, "resclip.whole.sfr");
        assertHalfClose(expected("resclip.whole.sfr_fp16"), r.sfrHalf());
        assertCloseToScale(expected("resclip.whole.attn"), concat(r.attn()), TOL, "resclip.whole.attn");
        float[] f = normalized(r.features(), t, r.embedDim());
        assertCloseToScale(expected("resclip.whole.features"), f, TOL, "resclip.whole.features");
        assertCloseToScale(expected("resclip.whole.logits"), Rows.cosineLogits(r.features(), t, r.embedDim(), queries), TOL,
                "resclip.whole.logits");
    }

    /** Identical, or one fp16 step apart (where {@code sfr / max} lies on a rounding boundary). */
    static void assertHalfClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        int steps = 0;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == actual[i]) continue;
            int a = Float.floatToFloat16(expected[i]), b = Float.floatToFloat16(actual[i]);
            assertTrue(Math.abs(a - b) <= 1, "sfr_fp16[" + i + "]: " + expected[i] + " vs " + actual[i]);
            steps++;
        }
        System.out.printf("resclip.whole.sfr_fp16: %d entries one fp16 step apart%n", steps);
    }
}
