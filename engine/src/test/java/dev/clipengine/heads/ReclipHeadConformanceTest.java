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
 * ReCLIP++ against {@code reclip-tiny/} (fixtures README "ReCLIP++ rectification model"): the DDP checkpoint loads as
 * shipped, the fp32/fp16 text weights in both file forms, the reference prompts, every stored intermediate of both
 * images within 1e-4, the PD decisions, and the label maps wherever the stored margin is at least 1e-4. The class
 * list, short side and PD threshold come from the golden's metadata, the head counts from its config.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReclipHeadConformanceTest {

    static final float TOL = 1e-4f;

    Path dir;
    SafetensorsFile golden;
    ReclipHead head;
    List<String> classes;
    int shortSide;
    float pd;
    float[] textWeights, refPrompts;
    ReclipHead.Run[] runs = new ReclipHead.Run[2];

    @BeforeAll
    void load() throws IOException {
        dir = Fixtures.seedHead("reclip-tiny");
        golden = SafetensorsFile.open(dir.resolve("golden.safetensors"));
        Map<?, ?> config = (Map<?, ?>) Json.parse(golden.metadata().get("config"));
        Map<?, ?> dataset = (Map<?, ?>) Json.parse(golden.metadata().get("dataset"));
        classes = ((List<?>) dataset.get("classes")).stream().map(String::valueOf).toList();
        shortSide = ((Number) dataset.get("short_side")).intValue();
        pd = ((Number) dataset.get("PD")).floatValue();
        head = ReclipHead.load(dir.resolve("best_weight.pth"), Backends.cpu(),
                new ReclipHead.Heads(num(config, "vision_heads"), num(config, "text_heads")));
        textWeights = ClassEmbeddings.read(dir.resolve("voc_clip_text.pth"), head.classes(), head.embedDim()).values();
        refPrompts = head.referencePrompts(classes, null);
    }

    static int num(Map<?, ?> m, String k) {
        return ((Number) m.get(k)).intValue();
    }

    @AfterAll
    void close() {
        if (head != null) head.close();
        if (golden != null) golden.close();
    }

    float[] g(String key) throws IOException {
        return golden.tensor(key).toFloatArray();
    }

    ReclipHead.Run run(int i) throws IOException {
        if (runs[i] == null) {
            RgbImage img = ImageDecoder.read(dir.resolve("input" + i + ".png"));
            runs[i] = head.run(img, shortSide, pd, textWeights, refPrompts);
        }
        return runs[i];
    }

    @Test
    void checkpointShapesComeFromTheFile() throws IOException {
        assertEquals(classes.size(), head.classes());
        assertEquals(golden.tensor("text.zeroshot").dim(1), head.embedDim());
    }

    @Test
    void textWeightsReadExactlyInBothForms() throws IOException {
        float[] expected = g("text.zeroshot");
        assertArrayEquals(expected, textWeights, "the .pth (transposed view, cuda:0 storage)");
        assertArrayEquals(expected, ClassEmbeddings.read(dir.resolve("voc_clip_text.npy"), 20, head.embedDim()).values(), ".npy");
    }

    @Test
    void nameIdsAndReferencePrompts() throws IOException {
        int[][] ids = ReclipHead.nameIds(classes);
        long[] expected = golden.tensor("text.name_ids").toLongArray();
        for (int c = 0; c < ids.length; c++) for (int j = 0; j < 3; j++) assertEquals(expected[c * 3 + j], ids[c][j], "class " + c + " id " + j);
        float[] raw = new float[refPrompts.length];
        float[] r = head.referencePrompts(classes, raw);
        assertClose(g("text.ref_prompts_raw"), raw, TOL, "ref_prompts_raw");
        assertClose(g("text.ref_prompts"), r, TOL, "ref_prompts");
    }

    @Test
    void zeroShotWeightsRecomputedFromTheCheckpoint() throws IOException {
        // the 85-template recomputation in fp32 (the shipped weights are this rounded to fp16)
        assertClose(g("text.zeroshot_recomputed"), head.zeroShotWeights(classes), TOL, "text.zeroshot_recomputed");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void preprocessingIsExact(int i) throws IOException {
        ReclipHead.Run r = run(i);
        byte[] bgr = golden.tensor("img" + i + ".resized_bgr").data().toArray(ValueLayout.JAVA_BYTE);
        byte[] rgb = r.resized().rgb();
        assertEquals(bgr.length, rgb.length);
        for (int p = 0; p < bgr.length; p += 3) {
            assertTrue(bgr[p] == rgb[p + 2] && bgr[p + 1] == rgb[p + 1] && bgr[p + 2] == rgb[p], "resized pixel " + p / 3);
        }
    }

    /** Trimmed from the repository's copy (testdata/trim_seed_goldens.py): runs against the full fixtures. */
    void assumeKey(String key) {
        Assumptions.assumeTrue(golden.contains(key), "SKIPPED: " + key + " is trimmed from this copy of the goldens (testdata/README.md); run with -Dclip.shared=<full fixtures>");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void normalisedPaddedInput(int i) throws IOException {
        assumeKey("img" + i + ".input");
        assertClose(g("img" + i + ".input"), run(i).input(), 1e-5f, "input");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void probabilitiesAtTheOriginalSize(int i) throws IOException {
        assumeKey("img" + i + ".probs");
        assertClose(g("img" + i + ".probs"), run(i).probs(), TOL, "probs");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void everyIntermediateWithinTolerance(int i) throws IOException {
        ReclipHead.Run r = run(i);
        String p = "img" + i + ".";
        assertClose(g(p + "pos_embed"), r.posEmbed(), TOL, p + "pos_embed");
        assertClose(g(p + "visual_out"), r.visualOut(), TOL, p + "visual_out");
        assertClose(g(p + "features"), r.features(), TOL, p + "features");
        assertClose(g(p + "query_logits"), r.queryLogits(), TOL, p + "query_logits");
        assertClose(g(p + "pe_proj"), r.peProj(), TOL, p + "pe_proj");
        assertClose(g(p + "bias_logits"), r.biasLogits(), TOL, p + "bias_logits");
        assertClose(g(p + "logits"), r.logits(), TOL, p + "logits");
        // decoder_out reaches ±15: 1e-4 relative to values of order 1
        assertClose(g(p + "decoder_out"), r.decoderOut(), TOL * 15, p + "decoder_out");
        assertClose(g(p + "pd.max_prob"), r.maxProb(), TOL, p + "pd.max_prob");
        long[] keep = golden.tensor(p + "pd.keep").toLongArray();
        for (int c = 0; c < keep.length; c++) assertEquals(keep[c] == 1, r.keep()[c], p + "PD decision of class " + c);
        assertClose(g(p + "filtered"), r.filtered(), TOL * 15, p + "filtered");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void labelMapIdenticalWhereTheMarginIsClear(int i) throws IOException {
        ReclipHead.Run r = run(i);
        long[] pred = golden.tensor("img" + i + ".pred").toLongArray();
        float[] margin = g("img" + i + ".margin");
        int clear = 0, nearTies = 0, nearTieDiffs = 0;
        for (int p = 0; p < pred.length; p++) {
            if (margin[p] >= 1e-4f) {
                clear++;
                assertEquals(pred[p], r.pred()[p], "label at pixel " + p + " (margin " + margin[p] + ")");
            } else {
                nearTies++;
                if (pred[p] != r.pred()[p]) nearTieDiffs++;
            }
        }
        assertTrue(clear > pred.length / 2, "most pixels have a clear margin");
        System.out.println("reclip img" + i + ": " + clear + " clear pixels identical; near ties " + nearTies + ", of which differ " + nearTieDiffs);
    }
}
