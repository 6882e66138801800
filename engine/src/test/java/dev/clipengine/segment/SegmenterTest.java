package dev.clipengine.segment;

import dev.clipengine.Fixtures;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.segmentation.WholeImageGeometry;
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
import static org.junit.jupiter.api.Assertions.assertNull;
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

    static Segmenter fullAt(ClipModel model, int size) {
        return new Segmenter(model, new SegmentOptions(size, SegmentOptions.Protocol.FULL, 0.3, 3, null,
                SegmentOptions.DenoiseMode.CLS_ROW, SegmentOptions.defaults().posInterp(), List.of("a photo of a {}.")));
    }

    /**
     * A 2048x128 panorama at size 128 needs no resize, so each window's map is exactly the map of its own pixels
     * segmented alone: the panorama's labels over the part each window owns must be that window's labels.
     */
    @Test
    void aPanoramaIsCoveredByWindowsEachSegmentedAlone() {
        RgbImage pano = blocks(2048, 128, 11);
        Segmentation s = fullAt(model, 128).segment(pano, vocabulary);
        assertValid(s, 2048, 128, vocabulary);
        assertEquals(8, s.gridH());
        assertEquals(128, s.gridW());
        List<WholeImageGeometry.Window> windows = s.placement().windows();
        assertEquals(3, windows.size());   // 1024-wide passes at 0, 512, 1024
        assertNull(s.rawLabels(), "no full-size diagnostics in the full protocol");
        int covered = 0;
        for (WholeImageGeometry.Window w : windows) {
            Segmentation alone = fullAt(model, 128).segment(crop(pano, w.x(), 0, w.width(), 128), vocabulary);
            assertEquals(1, alone.placement().windows().size());
            for (int y = 0; y < 128; y++) {
                for (int x = w.keepX0(); x < w.keepX1(); x++) {
                    assertEquals(alone.labels()[y * w.width() + x], s.labels()[y * 2048 + w.x() + x], "window at " + w.x() + ", pixel " + x + "," + y);
                }
            }
            covered += w.keepX1() - w.keepX0();
        }
        assertEquals(2048, covered);
    }

    @Test
    void aPortraitIsCoveredTopToBottom() {
        RgbImage tall = blocks(128, 1536, 12);
        Segmentation s = fullAt(model, 128).segment(tall, vocabulary);
        assertValid(s, 128, 1536, vocabulary);
        List<WholeImageGeometry.Window> windows = s.placement().windows();
        assertEquals(2, windows.size());
        WholeImageGeometry.Window last = windows.get(1);
        Segmentation alone = fullAt(model, 128).segment(crop(tall, 0, last.y(), 128, last.height()), vocabulary);
        for (int y = last.keepY0(); y < last.keepY1(); y++) {
            for (int x = 0; x < 128; x++) assertEquals(alone.labels()[y * 128 + x], s.labels()[(last.y() + y) * 128 + x]);
        }
    }

    @Test
    void aSmallImageIsMappedAtItsOwnSize() {
        Segmentation s = fullAt(model, 128).segment(noise(7, 5, 13), vocabulary);
        assertValid(s, 7, 5, vocabulary);
        MapPlacement p = s.placement();
        assertEquals(List.of(7, 5, 7, 5, 0.0, 0.0, 1.0, 1.0), List.of(p.imageWidth(), p.imageHeight(), p.width(), p.height(), p.x(), p.y(),
                p.scaleX(), p.scaleY()));
        assertEquals(1, p.windows().size());
    }

    @Test
    void theCropProtocolSaysWhereItsCropLies() {
        // 300x170 -> short side 128: 128 * 300 / 170 = 225.9, truncated to 225; left = round((225 - 128) / 2) = 48 (half to
        // even); 48 resized pixels are 48 / (225 / 300) = 64 original pixels
        Segmentation s = segmenter.segment(noise(300, 170, 14), vocabulary);
        MapPlacement p = s.placement();
        assertEquals(300, p.imageWidth());
        assertEquals(128, p.width());
        assertEquals(64.0, p.x(), 1e-9);
        assertEquals(0.0, p.y());
        assertEquals(0.75, p.scaleX(), 1e-12);
        assertEquals(128.0 / 170, p.scaleY(), 1e-12);
        assertTrue(p.windows().isEmpty());
        assertTrue(s.rawLabels() != null && s.rawGap() != null, "the crop keeps its diagnostics for the conformance tests");
    }

    /** Flat blocks of a few colours, so the clusters differ between windows. */
    static RgbImage blocks(int w, int h, long seed) {
        java.util.Random r = new java.util.Random(seed);
        byte[] rgb = new byte[w * h * 3];
        int bw = 40 + r.nextInt(60), bh = 30 + r.nextInt(40);
        int[] colours = new int[64];
        for (int i = 0; i < colours.length; i++) colours[i] = r.nextInt(1 << 24);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int c = colours[((x / bw) * 7 + (y / bh) * 3) % colours.length];
                rgb[3 * (y * w + x)] = (byte) (c >> 16);
                rgb[3 * (y * w + x) + 1] = (byte) (c >> 8);
                rgb[3 * (y * w + x) + 2] = (byte) c;
            }
        }
        return new RgbImage(w, h, rgb);
    }

    static RgbImage crop(RgbImage img, int x0, int y0, int w, int h) {
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) System.arraycopy(img.rgb(), ((y0 + y) * img.width() + x0) * 3, out, y * w * 3, w * 3);
        return new RgbImage(w, h, out);
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
