package dev.clipengine.segment;

import dev.clipengine.Fixtures;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public segmentation API on awkward inputs, and shared between threads. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SegmenterTest {

    ClipModel model;
    Segmenter segmenter;
    Vocabulary vocabulary = Vocabulary.parse("road, car, sky, tree", null);

    @BeforeAll
    void load() throws IOException {
        model = ClipModel.load(Fixtures.clipTiny().resolve("hf"));
        segmenter = new Segmenter(model, SegmentOptions.defaults().withSize(128).withDbscan(0.3, 3));
    }

    @AfterAll
    void close() {
        if (model != null) model.close();
    }

    static RgbImage noise(int w, int h, long seed) {
        byte[] rgb = new byte[w * h * 3];
        new java.util.Random(seed).nextBytes(rgb);
        return new RgbImage(w, h, rgb);
    }

    static RgbImage uniform(int w, int h, int grey) {
        byte[] rgb = new byte[w * h * 3];
        Arrays.fill(rgb, (byte) grey);
        return new RgbImage(w, h, rgb);
    }

    static void assertValid(Segmentation s, int w, int h, Vocabulary v) {
        assertEquals(w, s.image().width());
        assertEquals(h, s.image().height());
        assertEquals(w * h, s.labels().length);
        for (int l : s.labels()) assertTrue(l >= 0 && l < v.labelCount(), "label " + l);
        double sum = s.classFractions().values().stream().mapToDouble(Double::doubleValue).sum();
        assertEquals(1.0, sum, 1e-9);
    }

    @Test
    void sharedBetweenThreadsGivesTheSameMapsAsOneThread() throws Exception {
        List<RgbImage> images = List.of(noise(200, 150, 1), noise(150, 200, 2), noise(128, 128, 3), noise(300, 100, 4));
        List<int[]> sequential = new ArrayList<>();
        for (RgbImage img : images) sequential.add(segmenter.segment(img, vocabulary).labels());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 3; round++) {
                List<Future<int[]>> futures = new ArrayList<>();
                for (RgbImage img : images) futures.add(pool.submit(() -> segmenter.segment(img, vocabulary).labels()));
                for (int i = 0; i < images.size(); i++) assertArrayEquals(sequential.get(i), futures.get(i).get(), "image " + i);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void greyAndTinyImagesGiveACompleteMap() {
        // a uniform image has identical patches: one cluster, so one class everywhere
        Segmentation grey = segmenter.segment(uniform(64, 48, 128), vocabulary);
        assertValid(grey, 128, 128, vocabulary);
        assertEquals(1, Arrays.stream(grey.labels()).distinct().count(), "uniform image, one class");
        assertValid(segmenter.segment(uniform(1, 1, 30), vocabulary), 128, 128, vocabulary);
    }

    @Test
    void fullProtocolKeepsTheOriginalResolution() {
        Segmenter full = new Segmenter(model, new SegmentOptions(128, SegmentOptions.Protocol.FULL, 0.3, 3, null,
                SegmentOptions.DenoiseMode.CLS_ROW, SegmentOptions.defaults().posInterp(), List.of("a photo of a {}.")));
        RgbImage img = noise(300, 170, 5);
        Segmentation s = full.segment(img, vocabulary);
        assertValid(s, 300, 170, vocabulary);
        assertEquals(8, s.gridH());          // short side 170 -> 128 px -> 8 patches
        assertEquals(14, s.gridW());         // 300·128/170 = 225.9 -> 224 px -> 14 patches (non-square grid)
        assertTrue(s.image() == img);
    }

    @Test
    void hugeImageIsSegmented() {
        RgbImage big = uniform(10_000, 10_000, 77);
        assertValid(segmenter.segment(big, vocabulary), 128, 128, vocabulary);
    }

    @Test
    void aThousandClassesAndBackgroundWords() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 1000; i++) names.add("class number " + i);
        Vocabulary v = Vocabulary.of("custom", names, List.of("sky", "wall"));
        Segmenter s = new Segmenter(model, new SegmentOptions(128, SegmentOptions.Protocol.CLIPTRASE, 0.3, 3, null,
                SegmentOptions.DenoiseMode.CLS_ROW, SegmentOptions.defaults().posInterp(), List.of("a photo of a {}.")));
        Segmentation out = s.segment(noise(100, 100, 6), v);
        assertValid(out, 128, 128, v);
        assertEquals(1001, v.labelCount());
    }

    @Test
    void selfWeightDenoisingRuns() {
        Segmenter s = new Segmenter(model, new SegmentOptions(128, SegmentOptions.Protocol.CLIPTRASE, 0.3, 3, null,
                SegmentOptions.DenoiseMode.SELF_WEIGHT, SegmentOptions.defaults().posInterp(), List.of("a photo of a {}.")));
        assertValid(s.segment(noise(128, 128, 7), vocabulary), 128, 128, vocabulary);
    }

    @Test
    void badVocabulariesAndSizesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.parse("", null));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.parse("a, ,b", null));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.parse("a,b,a", null));
        assertThrows(IllegalArgumentException.class, () -> new Vocabulary("x", List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.named("nope"));
        assertThrows(IllegalArgumentException.class, () -> new Segmenter(model, SegmentOptions.defaults().withSize(100)));
        assertEquals(9, Vocabulary.bundled().size());
        assertEquals(33, Vocabulary.named("voc21").background().size());
        assertEquals(80, Vocabulary.imageNetTemplates().size());
    }
}
