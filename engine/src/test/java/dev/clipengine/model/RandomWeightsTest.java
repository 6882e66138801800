package dev.clipengine.model;

import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomWeightsTest {

    /** Small enough to build in milliseconds; the full vocabulary so real token ids fit. */
    static final ClipConfig TINY = new ClipConfig(16, 32, 8, 32, 2, 2, 64, 77, 49408, 24, 2, 3, 48);

    @Test
    void writesACanonicalFileTheLoaderAccepts(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tiny.safetensors");
        RandomWeights.write(file, TINY, DType.BF16, 7);
        try (ClipModel clip = ClipModel.load(file)) {
            assertEquals(TINY, clip.config());
            assertEquals(100f, clip.logitScale(), 1.5f); // ln 100 stored in bf16
            float[] pixels = new float[3 * 32 * 32];
            for (int i = 0; i < pixels.length; i++) pixels[i] = (float) Math.sin(i);
            VisionOutput out = clip.vision().forward(pixels, 32, 32, PositionalInterpolation.BICUBIC,
                    AttentionMode.STANDARD, false, false);
            for (float v : out.tokens()) assertTrue(Float.isFinite(v), "finite tokens");
        }
    }

    @Test
    void loadLeavesNoFileBehind() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long before = countRandomFiles(tmp);
        try (ClipModel clip = RandomWeights.load(TINY, DType.F32, 3)) {
            assertEquals(TINY, clip.config());
        }
        assertEquals(before, countRandomFiles(tmp));
    }

    @Test
    void batchedTextEncodingEqualsOnePromptAtATime() throws IOException {
        try (ClipModel clip = RandomWeights.load(TINY, DType.F32, 5)) {
            Random rnd = new Random(9);
            int[][] prompts = new int[6][];
            for (int p = 0; p < prompts.length; p++) {
                int[] ids = new int[77];
                int eot = 1 + p * 5 + rnd.nextInt(3);   // different lengths, one sequence per prompt
                ids[0] = 49406;
                for (int t = 1; t < eot; t++) ids[t] = rnd.nextInt(49000);
                ids[eot] = 49407;
                prompts[p] = ids;
            }
            float[][] batched = clip.text().encode(prompts);
            for (int p = 0; p < prompts.length; p++) {
                float[] single = clip.text().encode(prompts[p]);
                assertFalse(single.length == 0);
                assertArrayEquals(single, batched[p], "prompt " + p + " (bit-identical by construction)");
            }
        }
    }

    private static long countRandomFiles(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().startsWith("clip-random-")).count();
        }
    }
}
