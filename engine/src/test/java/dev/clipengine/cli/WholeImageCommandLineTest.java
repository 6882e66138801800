package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.cli.HelpAndRoughEdgesTest.Run;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 finding 1 replayed: {@code segment photo.jpg} maps the whole image at its size by default, a 1600x300
 * panorama included (before: a 336x336 centre crop, 19 % of its width, and {@code --protocol full} refused it);
 * the JSON says the image's size, the protocol, the grid and where the map lies; the reference's crop stays one
 * option away.
 */
class WholeImageCommandLineTest {

    @TempDir
    Path tmp;

    @Test
    void aPanoramaIsMappedWholeByDefault() throws Exception {
        Path img = NewcomerCommandLineTest.png(tmp.resolve("pano.png"), 1600, 300, 1), out = tmp.resolve("out");
        Run r = HelpAndRoughEdgesTest.run("segment", "--model", NewcomerCommandLineTest.model(), img.toString(),
                "--classes", "road, sky, tree", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<?, ?> j = NewcomerCommandLineTest.json(out.resolve("pano.json"));
        assertEquals("full", j.get("protocol"));
        assertEquals(List.of(1600L, 300L, 1600L, 300L), List.of(j.get("width"), j.get("height"), j.get("image_width"), j.get("image_height")));
        assertEquals(List.of(21L, 112L), j.get("grid"));   // 300 -> 336 px, 1600 -> 1792 px: 21 x 112 patches
        Map<?, ?> map = (Map<?, ?>) j.get("map");
        assertEquals(List.of(0.0, 0.0, 1.0, 1.0), List.of(num(map, "x"), num(map, "y"), num(map, "scale_x"), num(map, "scale_y")));
        List<?> windows = (List<?>) j.get("windows");
        assertEquals(2, windows.size(), j.toString());
        assertEquals(List.of(0L, 0L, 800L, 300L), ((Map<?, ?>) windows.get(0)).get("owns"));
        assertEquals(List.of(800L, 0L, 800L, 300L), ((Map<?, ?>) windows.get(1)).get("owns"));
        assertEquals(List.of(1024L, 336L), ((Map<?, ?>) windows.get(1)).get("input"));
        BufferedImage labels = ImageIO.read(out.resolve("pano.labels.png").toFile());
        assertEquals(List.of(1600, 300), List.of(labels.getWidth(), labels.getHeight()));
        BufferedImage overlay = ImageIO.read(out.resolve("pano.overlay.png").toFile());
        assertTrue(overlay.getWidth() >= 1600 && overlay.getHeight() >= 300, "the overlay shows the whole image");
    }

    @Test
    void theReferenceCropIsOneOptionAway() throws Exception {
        Path img = NewcomerCommandLineTest.png(tmp.resolve("pano.png"), 1600, 300, 1), out = tmp.resolve("out");
        Run r = HelpAndRoughEdgesTest.run("segment", "--model", NewcomerCommandLineTest.model(), img.toString(),
                "--classes", "road, sky, tree", "--protocol", "cliptrase", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<?, ?> j = NewcomerCommandLineTest.json(out.resolve("pano.json"));
        assertEquals("cliptrase", j.get("protocol"));
        assertEquals(List.of(336L, 336L, 1600L, 300L), List.of(j.get("width"), j.get("height"), j.get("image_width"), j.get("image_height")));
        // resized to 1792x336 (336 * 1600 / 300 = 1792); the crop starts at (1792 - 336) / 2 = 728 resized pixels,
        // 728 * 1600 / 1792 = 650 original pixels
        Map<?, ?> map = (Map<?, ?>) j.get("map");
        assertEquals(650.0, num(map, "x"), 1e-9);
        assertEquals(1792.0 / 1600, num(map, "scale_x"), 1e-4);
        assertFalse(j.containsKey("windows"));
    }

    static double num(Map<?, ?> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }
}
