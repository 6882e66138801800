package dev.clipengine.segment;

import dev.clipengine.Fixtures;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.Map;
import java.util.stream.Stream;

import static dev.clipengine.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * CLIPtrase end to end against the reference's {@code seg.*} goldens (docs/cliptrase.md §3.2):
 * the denoised correlation M to 1e-4, DBSCAN labels, cluster map and final prediction identical,
 * the raw per-pixel prediction identical wherever the reference's top-2 gap leaves no doubt.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SegmentConformanceTest {

    SafetensorsFile golden;
    ClipModel model;
    Map<?, ?> cases;

    @BeforeAll
    void load() throws IOException {
        golden = Fixtures.golden();
        model = ClipModel.load(Fixtures.clipTiny().resolve("hf"));
        cases = (Map<?, ?>) Json.parse(golden.metadata().get("segmentation"));
    }

    @AfterAll
    void close() {
        if (model != null) model.close();
        if (golden != null) golden.close();
    }

    Stream<String> caseNames() {
        return cases.keySet().stream().map(k -> (String) k);
    }

    static Vocabulary vocabularyOf(String caseName) {
        return Vocabulary.named(caseName.substring(caseName.lastIndexOf('.') + 1));
    }

    @Test
    void classTextFeaturesMatch() throws IOException {
        SegmentOptions o = SegmentOptions.defaults();
        float[][] voc20 = TextFeatures.of(model, Vocabulary.named("VOC20").classes(), o.templates());
        float[][] bg = TextFeatures.of(model, Vocabulary.named("VOC21").background(), o.templates());
        assertClose(golden.tensor("seg.text.voc20").toFloatArray(), flatten(voc20), 1e-4f, "seg.text.voc20");
        assertClose(golden.tensor("seg.text.voc21bg").toFloatArray(), flatten(bg), 1e-4f, "seg.text.voc21bg");
    }

    @ParameterizedTest
    @MethodSource("caseNames")
    void segmentationMatchesReference(String name) throws IOException {
        Map<?, ?> c = (Map<?, ?>) cases.get(name);
        int size = ((Number) c.get("size")).intValue();
        SegmentOptions options = SegmentOptions.defaults().withSize(size)
                .withDbscan(((Number) c.get("eps")).doubleValue(), ((Number) c.get("min_samples")).intValue());
        assertEquals(PositionalInterpolation.CLIPTRASE, options.posInterp());
        int img = Integer.parseInt(name.split("\\.")[1].substring(3));
        Segmentation s = new Segmenter(model, options).segment(goldenImage(img), vocabularyOf(name));

        assertClose(golden.tensor(name + ".M").toFloatArray(), s.correlation(), 1e-4f, name + ".M");
        assertArrayEquals(ints(name + ".dbscan_labels"), s.dbscanLabels(), name + ".dbscan_labels");
        assertEquals(((Number) c.get("clusters")).intValue(), s.clusters(), "clusters");
        assertEquals(((Number) c.get("noise")).intValue(), s.noisePatches(), "noise");
        assertNotNull(s.clusterMap(), "cluster map");
        assertArrayEquals(ints(name + ".cluster_map"), s.clusterMap(), name + ".cluster_map");
        assertArrayEquals(ints(name + ".pred"), s.labels(), name + ".pred");

        int[] raw = ints(name + ".raw_pred");
        float[] gap = golden.tensor(name + ".raw_gap").toFloatArray();
        int nearTies = 0, nearTieDiffs = 0;
        for (int p = 0; p < raw.length; p++) {
            if (gap[p] >= 1e-3f) {
                assertEquals(raw[p], s.rawLabels()[p], name + ".raw_pred at pixel " + p + " (gap " + gap[p] + ")");
            } else {
                nearTies++;
                if (raw[p] != s.rawLabels()[p]) nearTieDiffs++;
            }
        }
        System.out.printf("%s: raw_pred identical on %d decided pixels; %d near-tie pixels, %d of them differ%n",
                name, raw.length - nearTies, nearTies, nearTieDiffs);
    }

    RgbImage goldenImage(int i) throws IOException {
        return Fixtures.goldenImage(golden, "img" + i + ".rgb");
    }

    int[] ints(String key) throws IOException {
        long[] l = golden.tensor(key).toLongArray();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = Math.toIntExact(l[i]);
        return out;
    }

    static float[] flatten(float[][] rows) {
        int w = rows[0].length;
        float[] out = new float[rows.length * w];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * w, w);
        return out;
    }
}
