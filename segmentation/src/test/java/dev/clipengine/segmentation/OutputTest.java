package dev.clipengine.segmentation;

import dev.clipengine.weights.SafetensorsFile;
import dev.clipengine.weights.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.RenderedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutputTest {

    static final String[] VOC21 = {"aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair",
        "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tv",
        "background"};

    @Test
    void paletteIsDistinctAndDeterministic() {
        assertEquals(0x800000, Palette.color(0));   // VOC aeroplane
        assertEquals(0x008000, Palette.color(1));   // VOC bicycle
        assertEquals(0x808080, Palette.color(6));   // VOC car
        for (int n : new int[] {1, 21, 60, 150, 460, 848, 5000}) {
            int[] c = Palette.forClasses(n, n - 1);
            assertEquals(Palette.BACKGROUND, c[n - 1]);
            Set<Integer> seen = new HashSet<>();
            for (int v : c) assertTrue(seen.add(v), "duplicate colour for n=" + n);
            assertArrayEquals(c, Palette.forClasses(n, n - 1));
        }
        int[] noBg = Palette.forClasses(1000, -1);
        for (int v : noBg) assertNotEquals(Palette.BACKGROUND, v);
        for (int v : noBg) assertNotEquals(0, v);   // never black
    }

    @Test
    void png8BitRoundTrip(@TempDir Path dir) throws IOException {
        int w = 37, h = 23;
        int[] labels = new int[w * h];
        for (int i = 0; i < labels.length; i++) labels[i] = (i * 7) % 256;
        Path p = dir.resolve("labels8.png");
        LabelMapWriter.writePng(p, labels, w, h, 256);
        BufferedImage img = ImageIO.read(p.toFile());
        // up to 256 labels: indexed (a visible palette), and the samples are still the class ids
        assertEquals(BufferedImage.TYPE_BYTE_INDEXED, img.getType());
        assertEquals(8, img.getColorModel().getPixelSize());
        assertArrayEquals(labels, img.getRaster().getPixels(0, 0, w, h, (int[]) null));
        assertEquals(List.of(p), list(dir));
    }

    /** Issue 18 finding 8: labels.png is an indexed PNG whose palette is the overlay's class colours. */
    @Test
    void labelMapIsIndexedWithTheOverlaysColours(@TempDir Path dir) throws IOException {
        int w = 7, h = 3;
        int[] labels = new int[w * h];
        for (int i = 0; i < labels.length; i++) labels[i] = (i * 5) % VOC21.length;
        Path p = dir.resolve("x.labels.png");
        LabelMapWriter.writePng(p, labels, w, h, VOC21);

        // the bytes: IHDR says 8-bit palette (colour type 3), PLTE lists exactly one RGB entry per class
        byte[] png = Files.readAllBytes(p);
        assertEquals("IHDR", new String(png, 12, 4, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(8, png[24]);
        assertEquals(3, png[25]);
        int plte = indexOf(png, "PLTE");
        assertTrue(plte > 0, "PLTE chunk");
        int len = java.nio.ByteBuffer.wrap(png, plte - 4, 4).getInt();
        assertEquals(3 * VOC21.length, len);
        // "background" (last) is the legend's grey, the others the VOC colours shifted by one: as drawn on the overlay
        for (int c = 0; c < VOC21.length; c++) {
            int rgb = (png[plte + 4 + 3 * c] & 0xFF) << 16 | (png[plte + 5 + 3 * c] & 0xFF) << 8 | (png[plte + 6 + 3 * c] & 0xFF);
            assertEquals(c == 20 ? 0xAAAAAA : Palette.voc(c + 1), rgb, "class " + c);
        }

        // javax.imageio: the raster holds the indices, the colour model the palette
        BufferedImage img = ImageIO.read(p.toFile());
        assertEquals(BufferedImage.TYPE_BYTE_INDEXED, img.getType());
        assertArrayEquals(labels, img.getRaster().getPixels(0, 0, w, h, (int[]) null));
        java.awt.image.IndexColorModel cm = (java.awt.image.IndexColorModel) img.getColorModel();
        // (ImageIO's reader pads the colour model to 256 entries; the file's PLTE length is checked above)
        int[] overlay = Palette.forNames(VOC21);
        for (int c = 0; c < VOC21.length; c++) assertEquals(overlay[c], cm.getRGB(c) & 0xFFFFFF, "class " + c);
        assertEquals(0x800000, cm.getRGB(0) & 0xFFFFFF);   // aeroplane: VOC red, so class 0 is not black
        for (int i = 0; i < labels.length; i++) assertEquals(overlay[labels[i]], img.getRGB(i % w, i / w) & 0xFFFFFF);
    }

    /** Beyond 256 classes no palette can hold them: 16-bit grey whose values are the class ids. */
    @Test
    void moreThan256NamedClassesAre16BitGrey(@TempDir Path dir) throws IOException {
        String[] names = new String[300];
        for (int c = 0; c < names.length; c++) names[c] = "class" + c;
        int[] labels = {0, 299, 256, 255, 1, 128};
        Path p = dir.resolve("big.labels.png");
        LabelMapWriter.writePng(p, labels, 3, 2, names);
        byte[] png = Files.readAllBytes(p);
        assertEquals(16, png[24], "bit depth");
        assertEquals(0, png[25], "colour type grey");
        assertEquals(-1, indexOf(png, "PLTE"));
        BufferedImage img = ImageIO.read(p.toFile());
        assertEquals(BufferedImage.TYPE_USHORT_GRAY, img.getType());
        assertArrayEquals(labels, img.getRaster().getPixels(0, 0, 3, 2, (int[]) null));
        // exactly 256 classes still fit a palette
        LabelMapWriter.writePng(p, new int[] {255, 0}, 2, 1, java.util.Arrays.copyOf(names, 256));
        assertEquals(BufferedImage.TYPE_BYTE_INDEXED, ImageIO.read(p.toFile()).getType());
    }

    static int indexOf(byte[] data, String chunk) {
        byte[] k = chunk.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + k.length <= data.length; i++) {
            for (int j = 0; j < k.length; j++) if (data[i + j] != k[j]) continue outer;
            return i;
        }
        return -1;
    }

    @Test
    void png16BitRoundTrip(@TempDir Path dir) throws IOException {
        int w = 29, h = 31;
        int[] labels = new int[w * h];
        SplittableRandom rnd = new SplittableRandom(9);
        for (int i = 0; i < labels.length; i++) labels[i] = rnd.nextInt(65536);
        labels[0] = 65535;
        labels[1] = 0;
        labels[2] = 257;
        Path p = dir.resolve("labels16.png");
        LabelMapWriter.writePng(p, labels, w, h, 65536);
        BufferedImage img = ImageIO.read(p.toFile());
        assertEquals(BufferedImage.TYPE_USHORT_GRAY, img.getType());
        assertArrayEquals(labels, img.getRaster().getPixels(0, 0, w, h, (int[]) null));
        // 847 classes (ADE full) also goes 16-bit
        int[] few = {0, 846, 300, 5};
        LabelMapWriter.writePng(p, few, 2, 2, 847);
        BufferedImage img2 = ImageIO.read(p.toFile());
        assertEquals(BufferedImage.TYPE_USHORT_GRAY, img2.getType());
        assertArrayEquals(few, img2.getRaster().getPixels(0, 0, 2, 2, (int[]) null));
        assertEquals(List.of(p), list(dir));
    }

    @Test
    void rejectsOutOfRangeLabels(@TempDir Path dir) {
        Path p = dir.resolve("x.png");
        assertThrows(IllegalArgumentException.class, () -> LabelMapWriter.writePng(p, new int[] {0, 21}, 2, 1, 21));
        assertThrows(IllegalArgumentException.class, () -> LabelMapWriter.writePng(p, new int[] {-1, 0}, 2, 1, 21));
        assertFalse(Files.exists(p));
    }

    @Test
    void atomicWriteLeavesNoTempFileOnFailure(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("out.png");
        Files.writeString(p, "previous");
        RenderedImage bad = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB) {
            @Override
            public java.awt.image.Raster getData(java.awt.Rectangle rect) {
                throw new UncheckedIOException(new IOException("simulated failure"));
            }

            @Override
            public java.awt.image.WritableRaster getRaster() {
                throw new UncheckedIOException(new IOException("simulated failure"));
            }
        };
        assertThrows(RuntimeException.class, () -> LabelMapWriter.writeImage(p, bad));
        assertEquals("previous", Files.readString(p), "target untouched");
        assertEquals(List.of(p), list(dir), "no temp file left");
        // failure inside the body of the generic writer
        assertThrows(IOException.class, () -> AtomicFiles.write(p, out -> {
            out.write(1);
            throw new IOException("boom");
        }));
        assertEquals(List.of(p), list(dir));
        // target directory missing: fails before anything is created
        assertThrows(IOException.class, () -> LabelMapWriter.writePng(dir.resolve("nope/x.png"), new int[] {0}, 1, 1, 2));
        // success replaces the old content
        LabelMapWriter.writePng(p, new int[] {1, 0}, 2, 1, 2);
        assertEquals(2, ImageIO.read(p.toFile()).getWidth());
        assertEquals(List.of(p), list(dir));
    }

    @Test
    void overlayFromFixture() throws IOException {
        try (SafetensorsFile f = Fixtures.golden()) {
            Tensor rgbT = f.tensor("img0.rgb");
            int h0 = rgbT.dim(0), w0 = rgbT.dim(1);
            float[] rgbF = rgbT.toFloatArray();
            int[] pred = Fixtures.ints(f.tensor("seg.img0.voc21.pred").toLongArray());
            int[] raw = Fixtures.ints(f.tensor("seg.img0.voc21.raw_pred").toLongArray());
            // the 128x128 prediction covers the centred h0 x h0 square of the original; show it at that size
            int s = Math.min(h0, w0), left = (w0 - s) / 2, top = (h0 - s) / 2;
            byte[] rgb = new byte[s * s * 3];
            int[] lab = new int[s * s];
            int[] labRaw = new int[s * s];
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    for (int c = 0; c < 3; c++) {
                        rgb[(y * s + x) * 3 + c] = (byte) rgbF[((top + y) * w0 + left + x) * 3 + c];
                    }
                    int py = y * 128 / s, px = x * 128 / s;
                    lab[y * s + x] = pred[py * 128 + px];
                    labRaw[y * s + x] = raw[py * 128 + px];
                }
            }
            BufferedImage img = OverlayRenderer.render(rgb, s, s, lab, VOC21);
            assertTrue(img.getWidth() > s && img.getHeight() >= s);
            Path out = Path.of("target", "overlay-img0-voc21.png");
            Files.createDirectories(out.getParent());
            OverlayRenderer.writePng(out, img);
            OverlayRenderer.writePng(Path.of("target", "overlay-img0-voc21-raw.png"),
                    OverlayRenderer.render(rgb, s, s, labRaw, VOC21));
            BufferedImage back = ImageIO.read(out.toFile());
            assertEquals(img.getWidth(), back.getWidth());
            // small images are enlarged
            byte[] small = new byte[128 * 128 * 3];
            BufferedImage sm = OverlayRenderer.render(small, 128, 128, pred, VOC21);
            assertEquals(384, sm.getHeight());
            OverlayRenderer.writePng(Path.of("target", "overlay-small.png"), sm);
        }
    }

    @Test
    void aHugeImageIsShownReducedButWhole() {
        // 9000 px is more than twice MAX_DISPLAY: every third pixel, 3000 wide; the left third class 0, the rest 1
        int w = 9000, h = 300;
        byte[] rgb = new byte[w * h * 3];
        Arrays.fill(rgb, (byte) 100);
        int[] labels = new int[w * h];
        for (int i = 0; i < labels.length; i++) labels[i] = i % w < 3000 ? 0 : 1;
        int[] colours = {0xff0000, 0x0000ff};
        BufferedImage img = OverlayRenderer.render(rgb, w, h, labels, new String[] {"red", "blue"}, colours);
        assertTrue(img.getWidth() > 3000 && img.getWidth() < 3300, "3000 pixels of image plus a legend: " + img.getWidth());
        // blend(100, 255, 0.5) = 178 (rounded), blend(100, 0, 0.5) = 50
        assertEquals(0xb23232, img.getRGB(10, 50) & 0xffffff);
        assertEquals(0x3232b2, img.getRGB(2000, 50) & 0xffffff);
        // the class boundary at x = 3000 (shown at 999 -> 1000) is outlined
        int edge = img.getRGB(999, 50) & 0xffffff;
        assertTrue(edge != 0xb23232, Integer.toHexString(edge));
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
