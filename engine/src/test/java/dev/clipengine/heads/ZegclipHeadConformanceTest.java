package dev.clipengine.heads;

import dev.clipengine.Fixtures;
import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.kernels.Backends;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

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
 * ZegCLIP and TagCLIP against {@code zegclip-tiny/} (fixtures README "ZegCLIP / TagCLIP"): the mmcv checkpoints load
 * as shipped (optimizer state skipped), crop, stride, short side, vision and decoder heads and the seen classes come
 * from the embedded config, and every stored intermediate of both windows is within 1e-4; label maps are identical
 * wherever the stored margin is at least 1e-4 (TagCLIP with and without the trusty weighting). The cases are
 * {@link ZegclipConformanceTest} and {@link TagclipConformanceTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ZegclipHeadConformanceTest {

    static final float TOL = 1e-4f;

    final String model, file;
    Path dir;
    SafetensorsFile golden;
    ZegclipHead head;
    float[] text;
    RgbImage image;
    int classes;

    ZegclipHeadConformanceTest(String model, String file) {
        this.model = model;
        this.file = file;
    }

    @BeforeAll
    void load() throws IOException {
        dir = Fixtures.seedHead("zegclip-tiny").resolve(model);
        golden = SafetensorsFile.open(dir.resolve("golden.safetensors"));
        head = ZegclipHead.load(dir.resolve(file), Backends.cpu(), 0, 0);
        classes = ((List<?>) Json.parse(golden.metadata().get("classes"))).size();
        text = ClassEmbeddings.read(dir.resolve("voc12_single.npy"), classes, head.embedDim()).values();
        image = ImageDecoder.read(dir.getParent().resolve("input.png"));
    }

    @AfterAll
    void close() {
        if (head != null) head.close();
        if (golden != null) golden.close();
    }

    float[] g(String key) throws IOException {
        return golden.tensor(key).toFloatArray();
    }

    ZegclipHead.Run run(boolean weighting) {
        ZegclipHead.Settings d = head.defaults(classes);
        return head.run(image, text, new ZegclipHead.Settings(d.shortSide(), d.crop(), d.stride(), d.seen(), weighting));
    }

    @Test
    void configComesFromTheCheckpoint() throws IOException {
        Map<?, ?> slide = (Map<?, ?>) Json.parse(golden.metadata().get("slide"));
        Map<?, ?> resize = (Map<?, ?>) Json.parse(golden.metadata().get("resize"));
        ZegclipHead.Settings s = head.defaults(classes);
        assertEquals(((Number) slide.get("crop")).intValue(), s.crop());
        assertEquals(((Number) slide.get("stride")).intValue(), s.stride());
        assertEquals(((Number) resize.get("short_side")).intValue(), s.shortSide());
        float[] bias = g("seen_bias");
        for (int c = 0; c < classes; c++) assertEquals(bias[c] != 0, s.seen()[c], "seen class " + c);
    }

    @Test
    void textEmbeddingIsTheFp16FileWidened() throws IOException {
        assertArrayEquals(g("text.embedding"), text);
    }

    @Test
    void textEncoderRecomputesTheClassRows() throws IOException {
        List<String> names = ((List<?>) Json.parse(golden.metadata().get("classes"))).stream().map(String::valueOf).toList();
        int[][] ids = new int[names.size()][];
        long[] expected = golden.tensor("text.ids").toLongArray();
        dev.clipengine.text.ClipTokenizer tok = dev.clipengine.text.ClipTokenizer.openAi();
        for (int c = 0; c < ids.length; c++) {
            ids[c] = tok.tokenize("a photo of a " + names.get(c), 77, true);
            for (int p = 0; p < 77; p++) assertEquals(expected[c * 77 + p], ids[c][p], "class " + c + " token " + p);
        }
        assertClose(g("text.encoder"), head.textEmbeddings(names, 0), TOL, "text.encoder");
    }

    @Test
    void resizeAndPixels() throws IOException {
        ZegclipHead.Run r = run(true);
        byte[] bgr = golden.tensor("input.resized_bgr").data().toArray(ValueLayout.JAVA_BYTE);
        byte[] rgb = r.resized().rgb();
        assertEquals(bgr.length, rgb.length);
        for (int p = 0; p < bgr.length; p += 3) assertTrue(bgr[p] == rgb[p + 2] && bgr[p + 1] == rgb[p + 1] && bgr[p + 2] == rgb[p], "pixel " + p / 3);
    }

    /** Trimmed from the repository's copy (testdata/trim_seed_goldens.py): runs against the full fixtures. */
    void assumeKey(String key) {
        Assumptions.assumeTrue(golden.contains(key), "SKIPPED: " + key + " is trimmed from this copy of the goldens (testdata/README.md); run with -Dclip.shared=<full fixtures>");
    }

    @Test
    void normalisedPixels() throws IOException {
        assumeKey("input.pixels");
        assertClose(g("input.pixels"), run(true).pixels(), 1e-5f, "pixels");
    }

    void windowAverage(String prefix, boolean weighting) throws IOException {
        assumeKey(prefix + "logits_resized");
        assertClose(g(prefix + "logits_resized"), run(weighting).logitsResized(), TOL, prefix + "logits_resized");
    }

    @Test
    void everyWindowIntermediate() throws IOException {
        ZegclipHead.Run r = run(true);
        Map<?, ?> slide = (Map<?, ?>) Json.parse(golden.metadata().get("slide"));
        List<?> wins = (List<?>) slide.get("windows_y1y2x1x2");
        assertEquals(wins.size(), r.windows().size(), "windows");
        for (int i = 0; i < wins.size(); i++) {
            ZegclipHead.Window w = r.windows().get(i);
            List<?> yx = (List<?>) wins.get(i);
            assertEquals(((Number) yx.get(0)).intValue(), w.y1());
            assertEquals(((Number) yx.get(2)).intValue(), w.x1());
            String p = "win" + i + ".";
            assertClose(g(p + "tokens_ln_pre"), w.tokensLnPre(), TOL, p + "tokens_ln_pre");
            assertClose(g(p + "last_hidden"), w.lastHidden(), TOL, p + "last_hidden");
            assertClose(g(p + "g"), w.g(), TOL, p + "g");
            assertClose(g(p + "v"), w.v(), TOL, p + "v");
            assertClose(g(p + "queries"), w.queries(), TOL, p + "queries");
            for (int l = 0; l < w.masks().size(); l++) {
                // masks reach magnitudes of about 8: 1e-4 relative to values of order 1
                assertClose(g(p + "dec" + l + ".mask"), w.masks().get(l), TOL * 8, p + "dec" + l + ".mask");
                assertClose(g(p + "dec" + l + ".out"), w.outs().get(l), TOL, p + "dec" + l + ".out");
            }
            if (golden.contains(p + "trusty")) assertClose(g(p + "trusty"), w.trusty(), TOL, p + "trusty");
        }
    }

    void labelMap(String prefix, boolean weighting) throws IOException {
        ZegclipHead.Run r = run(weighting);
        long[] pred = golden.tensor(prefix + "pred").toLongArray();
        float[] margin = g(prefix + "margin");
        int clear = 0, ties = 0, tieDiffs = 0;
        for (int p = 0; p < pred.length; p++) {
            if (margin[p] >= 1e-4f) {
                clear++;
                assertEquals(pred[p], r.pred()[p], prefix + "label at pixel " + p + " (margin " + margin[p] + ")");
            } else {
                ties++;
                if (pred[p] != r.pred()[p]) tieDiffs++;
            }
        }
        assertTrue(clear > pred.length / 2, "most pixels have a clear margin");
        System.out.println(model + " " + prefix + ": " + clear + " clear pixels identical; near ties " + ties + ", of which differ " + tieDiffs);
    }
}
