package dev.clipengine.image;

import dev.clipengine.Fixtures;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {

    @TempDir
    Path tmp;

    @Test
    void pngDecodesExactlyLikePil() throws Exception {
        try (var f = Fixtures.golden()) {
            RgbImage want = Fixtures.goldenImage(f, "img0.rgb");
            RgbImage got = ImageDecoder.read(Fixtures.dataset("0016E5_07959.png"), false);
            assertEquals(want, got);
        }
    }

    /**
     * The golden RGB comes from PIL (libjpeg-turbo). The JDK's JPEG decoder (IJG libjpeg 6b) uses the same
     * default algorithms (islow integer IDCT, "fancy" triangular chroma upsampling, the same YCbCr tables),
     * so on this baseline JPEG the result is bit-identical: observed max |diff| = 0, 0 differing bytes.
     * Other JPEGs may still differ by ±1 where libjpeg-turbo's SIMD paths round differently.
     */
    @Test
    void jpegDecodesLikePil() throws Exception {
        try (var f = Fixtures.golden()) {
            RgbImage want = Fixtures.goldenImage(f, "img1.rgb");
            RgbImage got = ImageDecoder.read(Fixtures.dataset("ADE_val_00000001.jpg"), false);
            assertEquals(want.width(), got.width());
            assertEquals(want.height(), got.height());
            int max = 0, differing = 0;
            for (int i = 0; i < want.rgb().length; i++) {
                int d = Math.abs((want.rgb()[i] & 0xff) - (got.rgb()[i] & 0xff));
                max = Math.max(max, d);
                if (d != 0) differing++;
            }
            System.out.printf("ADE JPEG vs PIL: max |diff| = %d, differing bytes %d / %d (%.4f%%)%n",
                    max, differing, want.rgb().length, 100.0 * differing / want.rgb().length);
            assertEquals(0, max, "max abs difference to PIL's decode");
            assertEquals(0, differing, "differing bytes");
        }
    }

    // ------------------------------------------------------------------ colour models

    @Test
    void greyPaletteAlphaAnd16Bit() throws Exception {
        BufferedImage grey = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setPixels(0, 0, 3, 2, new int[] {0, 10, 128, 200, 254, 255});
        RgbImage g = ImageDecoder.read(write(grey, "png", "grey.png"));
        int[] greys = {0, 10, 128, 200, 254, 255};
        for (int i = 0; i < 6; i++) for (int c = 0; c < 3; c++) assertEquals(greys[i], g.rgb()[i * 3 + c] & 0xff);

        byte[] r = {0, (byte) 200, 5}, gg = {0, 100, 6}, b = {0, 50, 7};
        BufferedImage pal = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 3, r, gg, b));
        pal.getRaster().setPixels(0, 0, 2, 2, new int[] {0, 1, 2, 1});
        RgbImage p = ImageDecoder.read(write(pal, "png", "pal.png"));
        assertArrayEquals(new byte[] {0, 0, 0, (byte) 200, 100, 50, 5, 6, 7, (byte) 200, 100, 50}, p.rgb());
        // GIF (20x20: the JDK's GIF writer+reader pair loses the last pixels of tiny images, e.g. 2x2)
        BufferedImage gif = new BufferedImage(20, 20, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 3, r, gg, b));
        int[] idx = new int[400];
        for (int i = 0; i < 400; i++) idx[i] = (i * 7 + i / 20) % 3;
        gif.getRaster().setPixels(0, 0, 20, 20, idx);
        RgbImage pg = ImageDecoder.read(write(gif, "gif", "pal.gif"));
        for (int i = 0; i < 400; i++) {
            assertEquals(r[idx[i]], pg.rgb()[i * 3]);
            assertEquals(gg[idx[i]], pg.rgb()[i * 3 + 1]);
            assertEquals(b[idx[i]], pg.rgb()[i * 3 + 2]);
        }

        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00FF8040); // fully transparent: colour kept, alpha dropped (PIL convert("RGB"))
        argb.setRGB(1, 0, 0x80102030);
        RgbImage a = ImageDecoder.read(write(argb, "png", "argb.png"));
        assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0x80, 0x40, 0x10, 0x20, 0x30}, a.rgb());

        BufferedImage g16 = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        g16.getRaster().setPixels(0, 0, 2, 1, new int[] {0x1234, 0xFFFF});
        RgbImage s = ImageDecoder.read(write(g16, "png", "g16.png"));
        assertArrayEquals(new byte[] {0x12, 0x12, 0x12, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, s.rgb());

        BufferedImage bgr = new BufferedImage(2, 1, BufferedImage.TYPE_3BYTE_BGR);
        bgr.setRGB(0, 0, 0x123456);
        bgr.setRGB(1, 0, 0xABCDEF);
        assertArrayEquals(new byte[] {0x12, 0x34, 0x56, (byte) 0xAB, (byte) 0xCD, (byte) 0xEF},
                ImageDecoder.read(write(bgr, "bmp", "x.bmp")).rgb());
    }

    @Test
    void onePixelImageThroughClipPixels() throws Exception {
        BufferedImage one = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        one.setRGB(0, 0, 0x336699);
        RgbImage img = ImageDecoder.read(write(one, "png", "one.png"));
        assertEquals(new RgbImage(1, 1, new byte[] {0x33, 0x66, (byte) 0x99}), img);
        float[] px = ClipPreprocess.clipPixels(img, 96);
        assertEquals(3 * 96 * 96, px.length);
        assertEquals((0x33 / 255f - ClipPreprocess.mean(0)) / ClipPreprocess.std(0), px[96 * 96 - 1]);
    }

    // ------------------------------------------------------------------ EXIF orientation

    private static final int[][] BLOCKS = { // 3 x 2 blocks of 16x16: rows of (R, G, B)
        {0xFF0000, 0x00FF00, 0x0000FF},
        {0xFFFFFF, 0x000000, 0xFFFF00},
    };

    /** A 48x32 JPEG of six flat 16x16 blocks with an APP1 Exif orientation tag spliced in. */
    private Path exifJpeg(int orientation, boolean bigEndian) throws IOException {
        BufferedImage bi = new BufferedImage(48, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) for (int x = 0; x < 48; x++) bi.setRGB(x, y, BLOCKS[y / 16][x / 16]);
        byte[] jpeg = jpegBytes(bi);
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        tiff.put(bigEndian ? (byte) 'M' : (byte) 'I').put(bigEndian ? (byte) 'M' : (byte) 'I').putShort((short) 42).putInt(8);
        tiff.putShort((short) 1);
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0);
        byte[] exif = new byte[6 + tiff.capacity()];
        System.arraycopy("Exif\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, exif, 0, 6);
        System.arraycopy(tiff.array(), 0, exif, 6, tiff.capacity());
        // after SOI and the JFIF APP0 segment
        int app0Len = ((jpeg[4] & 0xff) << 8) | (jpeg[5] & 0xff);
        int at = 4 + app0Len;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, at);
        out.write(0xFF);
        out.write(0xE1);
        out.write((exif.length + 2) >> 8);
        out.write((exif.length + 2) & 0xff);
        out.write(exif);
        out.write(jpeg, at, jpeg.length - at);
        Path p = tmp.resolve("exif" + orientation + (bigEndian ? "MM" : "II") + ".jpg");
        Files.write(p, out.toByteArray());
        return p;
    }

    private static byte[] jpegBytes(BufferedImage bi) throws IOException {
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (var ios = new MemoryCacheImageOutputStream(bos)) {
            w.setOutput(ios);
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.95f);
            w.write(null, new IIOImage(bi, null, null), p);
        } finally {
            w.dispose();
        }
        return bos.toByteArray();
    }

    /** Asserts the colour at the centre of each 16x16 block of {@code img} (rows of expected colours). */
    private static void assertBlocks(RgbImage img, int[][] want) {
        assertEquals(want[0].length * 16, img.width(), "width");
        assertEquals(want.length * 16, img.height(), "height");
        for (int by = 0; by < want.length; by++) {
            for (int bx = 0; bx < want[0].length; bx++) {
                int x = bx * 16 + 8, y = by * 16 + 8;
                for (int c = 0; c < 3; c++) {
                    int w = (want[by][bx] >> (16 - 8 * c)) & 0xff;
                    int got = img.get(x, y, c);
                    assertTrue(Math.abs(w - got) <= 8, "block (" + bx + "," + by + ") channel " + c + ": " + got + " != " + w);
                }
            }
        }
    }

    @Test
    void exifOrientationAppliedOnlyWhenAsked() throws Exception {
        int R = 0xFF0000, G = 0x00FF00, B = 0x0000FF, W = 0xFFFFFF, K = 0x000000, Y = 0xFFFF00;
        for (boolean be : new boolean[] {true, false}) {
            Path p6 = exifJpeg(6, be);
            assertBlocks(ImageDecoder.read(p6, false), BLOCKS);
            assertBlocks(ImageDecoder.read(p6), BLOCKS); // default: not applied (reference behaviour)
            // 6 = rotate 90° clockwise: 32 wide, 48 tall; the input's bottom-left block comes to the top-left
            assertBlocks(ImageDecoder.read(p6, true), new int[][] {{W, R}, {K, G}, {Y, B}});
            // 3 = rotate 180°
            assertBlocks(ImageDecoder.read(exifJpeg(3, be), true), new int[][] {{Y, K, W}, {B, G, R}});
            // 8 = rotate 90° counter-clockwise: the input's top-right block comes to the top-left
            assertBlocks(ImageDecoder.read(exifJpeg(8, be), true), new int[][] {{B, Y}, {G, K}, {R, W}});
            // 1 = unchanged
            assertBlocks(ImageDecoder.read(exifJpeg(1, be), true), BLOCKS);
        }
    }

    @Test
    void allEightOrientationsExactly() {
        // 3x2 image, pixel value = 10*y + x in every channel
        byte[] b = new byte[18];
        for (int y = 0; y < 2; y++) for (int x = 0; x < 3; x++) Arrays.fill(b, (y * 3 + x) * 3, (y * 3 + x) * 3 + 3, (byte) (10 * y + x));
        RgbImage src = new RgbImage(3, 2, b);
        int[][][] want = {
            null,
            {{0, 1, 2}, {10, 11, 12}},          // 1
            {{2, 1, 0}, {12, 11, 10}},          // 2 mirror horizontal
            {{12, 11, 10}, {2, 1, 0}},          // 3 rotate 180
            {{10, 11, 12}, {0, 1, 2}},          // 4 mirror vertical
            {{0, 10}, {1, 11}, {2, 12}},        // 5 transpose
            {{10, 0}, {11, 1}, {12, 2}},        // 6 rotate 90 CW
            {{12, 2}, {11, 1}, {10, 0}},        // 7 transverse
            {{2, 12}, {1, 11}, {0, 10}},        // 8 rotate 90 CCW
        };
        for (int o = 1; o <= 8; o++) {
            RgbImage r = ImageDecoder.orient(src, o);
            assertEquals(want[o][0].length, r.width(), "orientation " + o);
            assertEquals(want[o].length, r.height(), "orientation " + o);
            for (int y = 0; y < r.height(); y++) {
                for (int x = 0; x < r.width(); x++) assertEquals(want[o][y][x], r.get(x, y, 1), "orientation " + o + " (" + x + "," + y + ")");
            }
        }
    }

    // ------------------------------------------------------------------ errors

    private static IOException assertReadFails(Path p, String... fragments) {
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.read(p, false));
        String m = e.getMessage();
        assertTrue(m.contains(p.toString()), "message names the file: " + m);
        assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
        for (String f : fragments) assertTrue(m.contains(f), "message mentions '" + f + "': " + m);
        return e;
    }

    @Test
    void errors() throws Exception {
        assertReadFails(tmp.resolve("missing.png"), "no such file");
        Path empty = Files.write(tmp.resolve("empty.jpg"), new byte[0]);
        assertReadFails(empty, "empty");
        Path text = Files.writeString(tmp.resolve("notes.png"), "hello, this is not an image\n");
        assertReadFails(text, "not a supported image", "68 65 6c 6c 6f", "hello");
        assertReadFails(tmp, "directory");

        BufferedImage bi = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) bi.setRGB(x, y, x * 3001 + y * 7919 * 13);
        byte[] png = Files.readAllBytes(write(bi, "png", "full.png"));
        Path truncPng = Files.write(tmp.resolve("trunc.png"), Arrays.copyOf(png, png.length / 2));
        assertReadFails(truncPng, "PNG");
        Path headerOnly = Files.write(tmp.resolve("header.png"), Arrays.copyOf(png, 20));
        assertReadFails(headerOnly);

        byte[] jpeg = jpegBytes(bi);
        Path truncJpeg = Files.write(tmp.resolve("trunc.jpg"), Arrays.copyOf(jpeg, jpeg.length * 2 / 3));
        assertReadFails(truncJpeg, "truncated");
    }

    @Test
    void decompressionBombRefusedBeforeDecoding() throws Exception {
        // a PNG that only has a valid IHDR claiming 20000 x 20000 pixels (no image data at all)
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(17).put("IHDR".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))
                .putInt(20000).putInt(20000).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        out.write(new byte[] {0, 0, 0, 13});
        out.write(ihdr.array());
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        Path bomb = Files.write(tmp.resolve("bomb.png"), out.toByteArray());
        assertReadFails(bomb, "20000x20000", "178956970");
    }

    @Test
    void cmykJpegRefused() throws Exception {
        WritableRaster cmyk = java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 16, 16, 4, null);
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (var ios = new MemoryCacheImageOutputStream(bos)) {
            w.setOutput(ios);
            w.write(null, new IIOImage(cmyk, null, null), w.getDefaultWriteParam());
        } catch (Exception e) {
            Assumptions.abort("this JDK cannot write a 4-channel JPEG for the test: " + e);
        } finally {
            w.dispose();
        }
        Path p = Files.write(tmp.resolve("cmyk.jpg"), bos.toByteArray());
        assertReadFails(p, "CMYK");
    }

    private Path write(BufferedImage img, String format, String name) throws IOException {
        Path p = tmp.resolve(name);
        assertTrue(ImageIO.write(img, format, p.toFile()), "no ImageIO writer for " + format);
        return p;
    }
}
