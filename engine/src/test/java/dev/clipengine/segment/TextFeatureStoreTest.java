package dev.clipengine.segment;

import dev.clipengine.model.ClipModel;
import dev.clipengine.model.ModelFingerprint;
import dev.clipengine.model.RandomWeights;
import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The on-disk text features: hits equal what the tower computes, bit for bit; anything damaged is recomputed. */
class TextFeatureStoreTest {

    static final ClipConfig TINY = new ClipConfig(16, 32, 8, 32, 2, 2, 64, 77, 49408, 24, 2, 3, 48);
    static final List<String> NAMES = List.of("road", "sky", "tree");
    static final List<String> TEMPLATES = List.of("a photo of a {}.", "a {} in the rain.");

    @TempDir
    Path tmp;

    private Path weights(long seed) throws IOException {
        Path f = tmp.resolve("tiny-" + seed + ".safetensors");
        if (!Files.exists(f)) RandomWeights.write(f, TINY, DType.F32, seed);
        return f;
    }

    /** Features as the text tower computes them (memory only). */
    private static float[][] computed(Path weights) throws IOException {
        try (ClipModel m = ClipModel.load(weights)) {
            return TextFeatures.of(m, NAMES, TEMPLATES, null);
        }
    }

    private float[][] throughStore(Path weights, TextFeatureStore store) throws IOException {
        try (ClipModel m = ClipModel.load(weights)) { // a new model: its in-memory cache is empty, as in a new process
            return TextFeatures.of(m, NAMES, TEMPLATES, store);
        }
    }

    private static List<Path> entries(TextFeatureStore store) throws IOException {
        if (!Files.isDirectory(store.dir())) return List.of();
        try (var s = Files.list(store.dir())) {
            return s.filter(p -> p.toString().endsWith(TextFeatureStore.SUFFIX)).toList();
        }
    }

    @Test
    void aSecondProcessReadsTheFeaturesTheFirstComputed() throws IOException {
        TextFeatureStore store = new TextFeatureStore(tmp.resolve("cache"), 1 << 20);
        Path w = weights(3);
        float[][] truth = computed(w);
        assertArrayEquals(truth, throughStore(w, store));          // miss: computed and stored
        assertEquals(1, entries(store).size());
        assertArrayEquals(truth, throughStore(w, store));          // hit: bit-identical rows

        // the hit really comes from the file: an intact entry with other values under the same key is what is returned
        float[][] planted = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        try (ClipModel m = ClipModel.load(w)) {
            byte[] key = TextFeatureStore.key(m.fingerprint(), m.backend().name(), NAMES, TEMPLATES);
            assertTrue(store.save(key, planted));
        }
        assertArrayEquals(planted, throughStore(w, store));
    }

    /**
     * Weights are packed on first use, so a run whose text features come from the disk packs the image tower only:
     * its first image never waits for the text tower's packing.
     */
    @Test
    void aCachedRunNeverPacksTheTextTower() throws IOException {
        TextFeatureStore store = new TextFeatureStore(tmp.resolve("cache"), 1 << 20);
        Path w = weights(9);
        long miss = packedByOneRun(w, store), hit = packedByOneRun(w, store);
        assertTrue(hit > 0, "the image tower was packed");
        assertTrue(hit < miss, "text tower packed only when its features were computed: " + hit + " vs " + miss);
    }

    private static long packedByOneRun(Path weights, TextFeatureStore store) throws IOException {
        try (ClipModel m = ClipModel.load(weights)) {
            long before = dev.clipengine.kernels.PackedLinear.packedBytes();
            TextFeatures.of(m, NAMES, TEMPLATES, store);
            float[] pixels = new float[3 * 32 * 32];
            for (int i = 0; i < pixels.length; i++) pixels[i] = (float) Math.sin(i);
            m.vision().forward(pixels, 32, 32, dev.clipengine.model.VisionRequest.clip(
                    dev.clipengine.model.PositionalInterpolation.BICUBIC));
            return dev.clipengine.kernels.PackedLinear.packedBytes() - before;
        }
    }

    @Test
    void truncatedOrDamagedEntriesAreIgnoredAndRewritten() throws IOException {
        TextFeatureStore store = new TextFeatureStore(tmp.resolve("cache"), 1 << 20);
        Path w = weights(4);
        float[][] truth = throughStore(w, store);
        Path entry = entries(store).getFirst();
        byte[] good = Files.readAllBytes(entry);

        Files.write(entry, java.util.Arrays.copyOf(good, good.length - 7));       // truncated (a killed writer, a full disk)
        assertArrayEquals(truth, throughStore(w, store));
        assertArrayEquals(good, Files.readAllBytes(entry), "rewritten whole");

        byte[] flipped = good.clone();
        flipped[flipped.length / 2] ^= 0x10;                                        // one bit of one feature
        Files.write(entry, flipped);
        assertArrayEquals(truth, throughStore(w, store));
        assertArrayEquals(good, Files.readAllBytes(entry));

        Files.write(entry, new byte[0]);
        assertArrayEquals(truth, throughStore(w, store));
        Files.writeString(entry, "not a cache file at all, but long enough to have a header and a trailer......");
        assertArrayEquals(truth, throughStore(w, store));
        assertArrayEquals(good, Files.readAllBytes(entry));
    }

    @Test
    void theKeyCoversModelNamesTemplatesAndBackend() throws IOException {
        String fp;
        try (ClipModel m = ClipModel.load(weights(5))) {
            fp = m.fingerprint();
        }
        String other;
        try (ClipModel m = ClipModel.load(weights(6))) {
            other = m.fingerprint();
        }
        byte[] k = TextFeatureStore.key(fp, "cpu", NAMES, TEMPLATES);
        assertArrayEquals(k, TextFeatureStore.key(fp, "cpu", List.copyOf(NAMES), List.copyOf(TEMPLATES)));
        assertFalse(java.util.Arrays.equals(k, TextFeatureStore.key(other, "cpu", NAMES, TEMPLATES)));
        assertFalse(java.util.Arrays.equals(k, TextFeatureStore.key(fp, "cuda", NAMES, TEMPLATES)));
        assertFalse(java.util.Arrays.equals(k, TextFeatureStore.key(fp, "cpu", List.of("road", "tree", "sky"), TEMPLATES)));
        assertFalse(java.util.Arrays.equals(k, TextFeatureStore.key(fp, "cpu", NAMES, TEMPLATES.subList(0, 1))));
        // names are length-prefixed: "a b" + "c" is not "a" + "b c"
        assertFalse(java.util.Arrays.equals(TextFeatureStore.key(fp, "cpu", List.of("a b", "c"), TEMPLATES),
                TextFeatureStore.key(fp, "cpu", List.of("a", "b c"), TEMPLATES)));
    }

    @Test
    void anotherModelMissesAndGetsItsOwnEntry() throws IOException {
        TextFeatureStore store = new TextFeatureStore(tmp.resolve("cache"), 1 << 20);
        float[][] a = throughStore(weights(7), store);
        float[][] b = throughStore(weights(8), store);
        assertEquals(2, entries(store).size());
        assertArrayEquals(computed(weights(8)), b);
        assertFalse(java.util.Arrays.deepEquals(a, b));
    }

    @Test
    void theFolderStaysWithinItsBoundDroppingTheLeastRecentlyUsed() throws IOException {
        // each entry: 8 magic + 32 key + 8 shape + 3 rows x 4 floats + 4 CRC = 100 bytes; room for three
        TextFeatureStore store = new TextFeatureStore(tmp.resolve("cache"), 350);
        float[][] rows = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}};
        byte[][] keys = new byte[4][];
        for (int i = 0; i < 4; i++) keys[i] = TextFeatureStore.key("model-" + i, "cpu", NAMES, TEMPLATES);
        for (int i = 0; i < 3; i++) {
            assertTrue(store.save(keys[i], rows));
            Files.setLastModifiedTime(store.file(keys[i]), FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        assertEquals(100, Files.size(store.file(keys[0])));
        assertNotNull(store.load(keys[0], 3));   // a hit makes entry 0 the most recently used; entry 1 is now the oldest
        assertTrue(store.save(keys[3], rows));
        assertNotNull(store.load(keys[0], 3));
        assertNull(store.load(keys[1], 3), "least recently used entry dropped");
        assertNotNull(store.load(keys[2], 3));
        assertNotNull(store.load(keys[3], 3));
        assertEquals(3, entries(store).size());

        assertFalse(new TextFeatureStore(tmp.resolve("small"), 99).save(keys[0], rows), "an entry above the bound is not kept");
    }

    @Test
    void aLoadForAnotherShapeOrKeyMisses() {
        TextFeatureStore store = new TextFeatureStore(tmp.resolve("cache"), 1 << 20);
        byte[] key = TextFeatureStore.key("m", "cpu", NAMES, TEMPLATES);
        assertTrue(store.save(key, new float[][] {{1, 2}, {3, 4}, {5, 6}}));
        assertNull(store.load(key, 2));
        byte[] other = TextFeatureStore.key("n", "cpu", NAMES, TEMPLATES);
        assertNull(store.load(other, 3));
        assertTrue(store.save(key, new float[][] {{1, Float.NaN}, {3, 4}, {5, 6}}));
        assertNull(store.load(key, 3), "non-finite rows are never served");
    }

    @Test
    void theEnvironmentPicksTheFolderTheBoundOrNoStore() {
        TextFeatureStore s = TextFeatureStore.fromEnvironment(Map.of("CLIP_ENGINE_CACHE", "/c"), null, null, "/home/u");
        assertEquals(Path.of("/c/text-features"), s.dir());
        assertEquals(Path.of("/x/clip-engine/text-features"),
                TextFeatureStore.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x"), null, null, "/home/u").dir());
        assertEquals(Path.of("/home/u/.cache/clip-engine/text-features"),
                TextFeatureStore.fromEnvironment(Map.of(), null, null, "/home/u").dir());
        assertNull(TextFeatureStore.fromEnvironment(Map.of("CLIP_ENGINE_TEXT_CACHE", "off"), null, null, "/home/u"));
        assertNull(TextFeatureStore.fromEnvironment(Map.of(), "off", null, "/home/u"));
        assertNotNull(TextFeatureStore.fromEnvironment(Map.of("CLIP_ENGINE_TEXT_CACHE", "off"), "on", null, "/home/u"),
                "the JVM property wins over the environment");
        assertNull(TextFeatureStore.fromEnvironment(Map.of("CLIP_ENGINE_TEXT_CACHE_MB", "0"), null, null, "/home/u"));
    }

    @Test
    void theFingerprintIsStableAndSeesChangesAnywhereItLooks() throws IOException {
        Path f = tmp.resolve("big.bin");
        byte[] data = new byte[3 << 20];
        new java.util.Random(1).nextBytes(data);
        Files.write(f, data);
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_700_000_000_000L));
        String fp = ModelFingerprint.of(List.of(f));
        assertEquals(fp, ModelFingerprint.of(List.of(f)));

        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(100);                                 // in the header
            raf.write(data[100] ^ 1);
        }
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_700_000_000_000L));
        String headerChanged = ModelFingerprint.of(List.of(f));
        assertNotEquals(fp, headerChanged);

        Files.setLastModifiedTime(f, FileTime.fromMillis(1_700_000_001_000L));
        assertNotEquals(headerChanged, ModelFingerprint.of(List.of(f)), "a rewrite (new mtime) is a new identity");

        Files.write(f, java.util.Arrays.copyOf(data, data.length + 1));
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_700_000_000_000L));
        assertNotEquals(fp, ModelFingerprint.of(List.of(f)), "size");
    }
}
