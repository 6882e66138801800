package dev.clipengine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 cases 7 and 8: thin and huge images resize without overflow (the window of the crop alone,
 * bit-identical to resizing everything and cropping), and garbage headers are refused before the
 * decoder allocates: each in one line, under 5 s and 64 MiB allocated by the thread.
 */
class HostileImagesTest {

    @TempDir
    Path tmp;

    static RgbImage random(int w, int h, long seed) {
        byte[] rgb = new byte[w * h * 3];
        new Random(seed).nextBytes(rgb);
        return new RgbImage(w, h, rgb);
    }

    @Test
    void theCropWindowEqualsResizingEverythingThenCropping() {
        // thin, wide, large and small images, up- and downscaled; the full resize is affordable at these sizes
        int[][] cases = {{3, 2000, 64}, {2000, 3, 64}, {1, 500, 32}, {500, 1, 32}, {37, 91, 48}, {640, 480, 224},
                {224, 224, 224}, {300, 224, 224}, {100, 50, 64}, {20, 20, 64}};
        for (int[] c : cases) {
            RgbImage img = random(c[0], c[1], c[0] * 31L + c[1]);
            RgbImage expected = ClipPreprocess.centerCrop(ClipPreprocess.resizeShortSide(img, c[2]), c[2]);
            RgbImage got = ClipPreprocess.resizeShortSideCenterCrop(img, c[2]);
            assertEquals(expected.width(), got.width());
            assertEquals(expected.height(), got.height());
            assertArrayEquals(expected.rgb(), got.rgb(), c[0] + "x" + c[1] + " at " + c[2]);
        }
    }

    @Test
    void aOneByHundredThousandImageResizesQuicklyAndExactly() {
        // case 7: was NegativeArraySizeException (336 x 33,600,000 x 3 overflows an int), or 1.6 GB and 24-45 s
        for (int[] wh : new int[][] {{1, 100_000}, {100_000, 1}, {4, 20_000}}) {
            byte[] rgb = new byte[wh[0] * wh[1] * 3];
            for (int i = 0; i < rgb.length; i += 3) { rgb[i] = 10; rgb[i + 1] = (byte) 200; rgb[i + 2] = 77; }
            RgbImage img = new RgbImage(wh[0], wh[1], rgb);
            long before = allocated(), t0 = System.nanoTime();
            float[] pixels = ClipPreprocess.clipPixels(img, 336);
            long ms = (System.nanoTime() - t0) / 1_000_000, bytes = allocated() - before;
            assertTrue(ms < 5000, ms + " ms");
            assertTrue(bytes < (64L << 20), bytes + " bytes allocated");
            // a uniform image stays uniform through a normalised bicubic filter: every pixel is the colour
            RgbImage one = new RgbImage(1, 1, new byte[] {10, (byte) 200, 77});
            float[] colour = ClipPreprocess.normalize(one);
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 336 * 336; i++) assertEquals(colour[c], pixels[c * 336 * 336 + i], wh[0] + "x" + wh[1]);
            }
        }
    }

    static long allocated() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    /** Decoding {@code bytes} is refused with one line containing {@code why}, cheaply. */
    String refused(String name, byte[] bytes, String why) throws IOException {
        Path f = Files.write(tmp.resolve(name), bytes);
        long before = allocated(), t0 = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.read(f));
        long ms = (System.nanoTime() - t0) / 1_000_000, used = allocated() - before;
        assertTrue(e.getMessage().startsWith("cannot read image " + f + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(ms < 5000, ms + " ms");
        assertTrue(used < (64L << 20), used + " bytes allocated: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void aGifFrameOfThirteenThousandSquaredWithOnePixelOfData() throws IOException {
        refused("bomb.gif", HostileImages.gifBomb(), "declares 13000x13000 (169000000 pixels) but holds only");
    }

    @Test
    void aBmpPaletteOfTwoToTheThirtyOneColours() throws IOException {
        refused("palette.bmp", HostileImages.bmpHugePalette(), "a palette of 2147483647 colours for 8-bit pixels (at most 256)");
    }

    @Test
    void aJpegApp1SegmentOfLengthOne() throws IOException {
        refused("app1.jpg", HostileImages.jpegApp1LengthOne(), "segment 0xFFE1 at byte 2 declares length 1");
        // the same file without the bad segment decodes
        Path ok = Files.write(tmp.resolve("ok.jpg"), HostileImages.jpeg());
        assertEquals(16, ImageDecoder.read(ok).width());
    }
}
