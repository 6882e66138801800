package dev.clipengine.cli;

import dev.clipengine.image.RgbImage;
import dev.clipengine.model.RandomWeights;
import dev.clipengine.weights.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19: {@code segment} at 336 px with ViT-B/16-shaped bf16 weights still runs in {@code -Xmx256m} (the 300 MB file
 * is mapped, not on the heap; nothing is pre-packed on so small a heap), and a second run, whose text features come
 * from the disk cache the first wrote, gives the same label map byte for byte.
 */
class SmallHeapIT {

    @Test
    void vitB16At336InA256MegabyteHeapAndTheCachedRunMatches(@TempDir Path tmp) throws Exception {
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        assertTrue(Files.isRegularFile(jar), "engine.jar not built at " + jar.toAbsolutePath());
        Path model = tmp.resolve("b16-bf16.safetensors");
        RandomWeights.write(model, RandomWeights.VIT_B_16, DType.BF16, 11);
        Path image = tmp.resolve("scene.png");
        RgbImage scene = RandomWeights.syntheticScene(400);
        BufferedImage bi = new BufferedImage(scene.width(), scene.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < scene.height(); y++) {
            for (int x = 0; x < scene.width(); x++) {
                bi.setRGB(x, y, scene.get(x, y, 0) << 16 | scene.get(x, y, 1) << 8 | scene.get(x, y, 2));
            }
        }
        ImageIO.write(bi, "png", image.toFile());
        Path cache = tmp.resolve("cache");

        byte[] first = segment(jar, model, image, cache, tmp.resolve("out1"));
        try (Stream<Path> s = Files.list(cache.resolve("text-features"))) {
            assertEquals(1, s.count(), "the first run stored its text features");
        }
        byte[] second = segment(jar, model, image, cache, tmp.resolve("out2"));
        assertArrayEquals(first, second, "label map with cached text features");
    }

    private static byte[] segment(Path jar, Path model, Path image, Path cache, Path out) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar.toString(), "segment", "--model", model.toString(), "--image", image.toString(),
                "--classes", "road,sky,tree,building,car,person", "--size", "336", "--out", out.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolveSibling(out.getFileName() + ".log").toFile());
        pb.environment().put("CLIP_ENGINE_CACHE", cache.toString());
        pb.environment().remove("CLIP_ENGINE_TEXT_CACHE");
        Process p = pb.start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "segment did not finish");
        String log = Files.readString(out.resolveSibling(out.getFileName() + ".log"));
        assertEquals(0, p.exitValue(), log);
        assertTrue(!log.contains("OutOfMemoryError"), log);
        return Files.readAllBytes(out.resolve("scene.labels.png"));
    }
}
