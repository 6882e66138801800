package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 cases 7 and 9 through {@code segment}: a 1x100000 PNG (467 bytes; it used to fail with
 * "internal error: NegativeArraySizeException" and abandon the batch) is segmented; an undecodable file
 * is reported in one line and the images after it are still written; a stem whose outputs are being
 * replaced loses its JSON (the completion record) first.
 */
class SegmentBatchTest {

    @TempDir
    Path tmp;

    @Test
    void thinAndBrokenImagesNeverAbandonTheBatch() throws Exception {
        Path in = Files.createDirectory(tmp.resolve("in")), out = tmp.resolve("out");
        BufferedImage thin = new BufferedImage(1, 100_000, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < thin.getHeight(); y++) thin.setRGB(0, y, y < 50_000 ? 0x3060a0 : 0xc0a020);
        ImageIO.write(thin, "png", in.resolve("a_thin.png").toFile());
        Files.write(in.resolve("b_broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0});
        List<?> names;
        try (var golden = Fixtures.golden()) {
            names = (List<?>) Json.parse(golden.metadata().get("images"));
        }
        Files.copy(Fixtures.dataset((String) names.get(0)), in.resolve("c_good.png"));
        // a stale JSON from an earlier run: removed before c_good's new label map is written
        Files.createDirectories(out);
        Files.writeString(out.resolve("c_good.json"), "{\"stale\": true}\n");

        int code = ClipCli.run("segment", "--model", Fixtures.clipTiny().resolve("hf").toString(), "--image", in.toString(),
                "--vocabulary", "VOC20", "--size", "64", "--out", out.toString());
        assertEquals(ClipCli.EXIT_BAD_INPUT, code, "one image failed");
        for (String stem : List.of("a_thin", "c_good")) {
            assertTrue(Files.isRegularFile(out.resolve(stem + ".labels.png")), stem);
            Map<?, ?> j = (Map<?, ?>) Json.parse(Files.readString(out.resolve(stem + ".json")));
            assertFalse(j.containsKey("stale"), stem);
            assertEquals(stem.equals("a_thin") ? "a_thin.png" : "c_good.png", Path.of((String) j.get("image")).getFileName().toString());
        }
        assertFalse(Files.exists(out.resolve("b_broken.json")));
        try (var s = Files.list(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
    }
}
