package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 finding 5 replayed through the real {@code engine.jar}: an 8000x6000 photo segmented whole (the default
 * {@code full} protocol, maps at 8000x6000) in a JVM with {@code -Xmx512m}; before, post-processing died with a raw
 * OutOfMemoryError stack trace (exit 1). Under a heap too small for the image itself, the run ends with one
 * {@code error:} line about memory and exit 2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LargeImageIT {

    Path tmp;
    Path photo;

    record Run(int code, String out, String err, long peakRssMb) {
    }

    @BeforeAll
    void photo(@TempDir Path dir) throws IOException {
        tmp = dir;
        // smooth gradients and 500 px blocks: a JPEG of about 1 MB, decoded to 8000x6000
        int w = 8000, h = 6000;
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] d = ((DataBufferByte) bi.getRaster().getDataBuffer()).getData();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = 3 * (y * w + x);
                d[i] = (byte) (x * 255 / w);
                d[i + 1] = (byte) (y * 255 / h);
                d[i + 2] = (byte) (((x / 500) + (y / 500)) % 2 * 200);
            }
        }
        photo = tmp.resolve("big.jpg");
        assertTrue(ImageIO.write(bi, "jpg", photo.toFile()));
    }

    Run engine(String heap, String... args) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                heap, "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Path out = tmp.resolve("stdout.txt"), err = tmp.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        Path status = Path.of("/proc", String.valueOf(p.pid()), "status");
        long peakKb = 0, t0 = System.nanoTime();
        while (!p.waitFor(20, TimeUnit.MILLISECONDS)) {
            try {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmHWM:")) peakKb = Math.max(peakKb, Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            } catch (IOException | RuntimeException e) {
                // exited between polls
            }
            if (System.nanoTime() - t0 > 600_000_000_000L) p.destroyForcibly();
        }
        String e = Files.readString(err, StandardCharsets.UTF_8).replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), e, peakKb >> 10);
    }

    @Test
    void an8000x6000PhotoIsSegmentedWholeUnderHalfAGigabyteOfHeap() throws Exception {
        Path out = tmp.resolve("out");
        Run r = engine("-Xmx512m", "segment", "--model", Fixtures.clipTiny().resolve("hf").toString(), photo.toString(),
                "--vocabulary", "VOC21", "--out", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertFalse(r.err().contains("error"), r.err());
        Map<?, ?> j = (Map<?, ?>) Json.parse(Files.readString(out.resolve("big.json")));
        assertEquals(List.of("full", 8000L, 6000L, 8000L, 6000L),
                List.of(j.get("protocol"), j.get("width"), j.get("height"), j.get("image_width"), j.get("image_height")));
        assertEquals(List.of(8000, 6000), size(out.resolve("big.labels.png")), "the label map is at the photo's size");
        assertTrue(size(out.resolve("big.overlay.png")).get(0) >= 4000, "the overlay shows the whole photo, halved");
        System.out.println("8000x6000 under -Xmx512m: peak RSS " + r.peakRssMb() + " MB, " + j.get("timings_ms"));
    }

    @Test
    void tooLittleHeapIsOneLineAndExit2() throws Exception {
        Run r = engine("-Xmx160m", "segment", "--model", Fixtures.clipTiny().resolve("hf").toString(), photo.toString(),
                "--vocabulary", "VOC21", "--out", tmp.resolve("small-heap").toString());
        assertEquals(2, r.code(), r.toString());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.err());
        assertTrue(errors.get(0).contains("memory"), errors.get(0));
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in thread"), r.err());
    }

    /** Width and height from the PNG's header, without decoding 48 megapixels. */
    static List<Integer> size(Path png) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(png.toFile())) {
            Iterator<ImageReader> it = ImageIO.getImageReaders(in);
            ImageReader reader = it.next();
            try {
                reader.setInput(in);
                return List.of(reader.getWidth(0), reader.getHeight(0));
            } finally {
                reader.dispose();
            }
        }
    }
}
