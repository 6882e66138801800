package dev.clipengine.image;

import dev.clipengine.Fixtures;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClipPreprocessTest {

    @Test
    void goldenPixels() throws Exception {
        try (var f = Fixtures.golden()) {
            for (int img = 0; img < 2; img++) {
                RgbImage rgb = Fixtures.goldenImage(f, "img" + img + ".rgb");
                for (int s : new int[] {64, 96}) {
                    float[] want = f.tensor("img" + img + ".s" + s + ".pixels").toFloatArray();
                    float[] got = ClipPreprocess.clipPixels(rgb, s);
                    assertEquals(3 * s * s, got.length);
                    assertEquals(want.length, got.length);
                    double max = 0;
                    for (int i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i] - got[i]));
                    System.out.printf("img%d s%d: max |pixels - golden| = %.3g%n", img, s, max);
                    assertTrue(max <= 1e-5, "img" + img + " s" + s + " max diff " + max);
                }
            }
        }
    }

    /** Source pattern shared with the generator of the expected values below. */
    static RgbImage pattern(int w, int h) {
        byte[] b = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    b[(y * w + x) * 3 + c] = (byte) (x * 37 + y * 101 + c * 59 + x * y * 13 + (c == 1 ? x * x * 7 : 0));
                }
            }
        }
        return new RgbImage(w, h, b);
    }

    /**
     * Expected bytes (hex) or SHA-256 of {@code Image.fromarray(pattern).resize((ow, oh), Image.BICUBIC)}
     * from Pillow 12.3.0.
     */
    @ParameterizedTest
    @CsvSource({
        "7, 5, 3, 4, 34738e7ea290b3633f7f7664a06a8c4ea78662639e63519e8a756f9e846791586ba37f70",
        "5, 9, 12, 7, sha256:c5f1f803d70684fba95aa827c80ad565fc6214dde00d8232cf18637b58133105",
        "13, 3, 13, 8, sha256:574fa1a3a893fd0092a78f8c5426a82b707b2fdddfc846abd359d5d1129e913c",
        "9, 6, 4, 6, 1960976aada5b963303651858f9f63b9746a629187d3a63e5b3f737a52b949a0888f67a76d83b25e5188a85a6f829d63aa81519d59669289763f8c8bb05e9571655eb1a471724d81",
        "1, 1, 3, 2, 003b76003b76003b76003b76003b76003b76",
        "2, 1, 4, 1, 00377308447e1d5e93286b9e",
        "300, 7, 17, 3, sha256:a032ca0281209af3f34add76aec1c552a0b263a383c9924f8666464448b60b68",
        "64, 48, 23, 17, sha256:780c9c2edb31058655a9c47a6e5af187b28b785c08010009f6d45942f34e0499",
        "64, 48, 100, 75, sha256:ffb9dcff8005cfa9eef4322c0f681bfd2caa14e0e8819f24343e81589c9d519e",
        "480, 360, 85, 64, sha256:feb868616635ce2b32f645ada1c2b710361bcb34c09219eb093b5bf57f7f38eb",
        "31, 1, 1, 1, 6f7d7f",
    })
    void resizeMatchesPillow(int w, int h, int ow, int oh, String expected) throws Exception {
        RgbImage out = ClipPreprocess.resizeBicubic(pattern(w, h), ow, oh);
        assertEquals(ow, out.width());
        assertEquals(oh, out.height());
        if (expected.startsWith("sha256:")) {
            String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out.rgb()));
            assertEquals(expected.substring(7), got);
        } else {
            assertEquals(expected, HexFormat.of().formatHex(out.rgb()));
        }
    }

    @Test
    void resizeHandComputed() {
        // [0, 255] -> 4 wide: center 0.75 gives normalised weights (0.7929, 0.2071): 255 * 0.2071 -> 53
        // in 22-bit fixed point; the outer samples overshoot (-22.5, 277.5) and clamp.
        RgbImage src = new RgbImage(2, 1, new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
        RgbImage out = ClipPreprocess.resizeBicubic(src, 4, 1);
        int[] want = {0, 53, 202, 255};
        for (int x = 0; x < 4; x++) for (int c = 0; c < 3; c++) assertEquals(want[x], out.get(x, 0, c));
        // a constant image stays constant under any resize
        RgbImage flat = new RgbImage(5, 3, filled(5 * 3 * 3, 200));
        RgbImage r = ClipPreprocess.resizeBicubic(flat, 11, 2);
        for (byte b : r.rgb()) assertEquals(200, b & 0xff);
        // 1x1 to anything: copies
        RgbImage one = new RgbImage(1, 1, new byte[] {1, 2, 3});
        RgbImage big = ClipPreprocess.resizeBicubic(one, 3, 7);
        for (int i = 0; i < 21; i++) assertEquals(i % 3 + 1, big.rgb()[i]);
    }

    @Test
    void shortSideSizes() {
        assertDims(85, 64, ClipPreprocess.resizeShortSide(RgbImage.black(480, 360), 64));
        assertDims(85, 64, ClipPreprocess.resizeShortSide(RgbImage.black(683, 512), 64));
        assertDims(128, 96, ClipPreprocess.resizeShortSide(RgbImage.black(683, 512), 96));
        assertDims(64, 85, ClipPreprocess.resizeShortSide(RgbImage.black(360, 480), 64));
        assertDims(224, 224, ClipPreprocess.resizeShortSide(RgbImage.black(50, 50), 224));
        assertDims(224, 672, ClipPreprocess.resizeShortSide(RgbImage.black(1, 3), 224));
        RgbImage same = pattern(64, 90);
        assertSame(same, ClipPreprocess.resizeShortSide(same, 64));
    }

    @Test
    void centerCropRounding() {
        RgbImage row = pattern(5, 2);
        // left = rint(1.5) = 2 (half to even), top = 0
        RgbImage c = ClipPreprocess.centerCrop(row, 2);
        assertEquals(row.get(2, 0, 0), c.get(0, 0, 0));
        assertEquals(row.get(3, 1, 2), c.get(1, 1, 2));
        // left = rint(2.5) = 2
        RgbImage row7 = pattern(7, 2);
        assertEquals(row7.get(2, 0, 1), ClipPreprocess.centerCrop(row7, 2).get(0, 0, 1));
        // left = rint(0.5) = 0
        RgbImage row3 = pattern(3, 2);
        assertEquals(row3.get(0, 1, 0), ClipPreprocess.centerCrop(row3, 2).get(0, 1, 0));
    }

    @Test
    void centerCropPadsSmallImages() {
        RgbImage src = pattern(3, 2);
        RgbImage c = ClipPreprocess.centerCrop(src, 4);
        assertDims(4, 4, c);
        // torchvision pads left (4-3)//2 = 0, top (4-2)//2 = 1, right 1, bottom 1
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    int want = (y >= 1 && y < 3 && x < 3) ? src.get(x, y - 1, ch) : 0;
                    assertEquals(want, c.get(x, y, ch), "(" + x + "," + y + ")");
                }
            }
        }
        // padded in one dimension, cropped in the other: 6x2 -> 4: pad top/bottom 1, left = rint(1.0) = 1
        RgbImage wide = pattern(6, 2);
        RgbImage w = ClipPreprocess.centerCrop(wide, 4);
        assertEquals(0, w.get(0, 0, 0));
        assertEquals(wide.get(1, 0, 0), w.get(0, 1, 0));
        assertEquals(wide.get(4, 1, 2), w.get(3, 2, 2));
    }

    @Test
    void normalizeIsFloat32Torchvision() {
        RgbImage img = new RgbImage(2, 1, new byte[] {0, (byte) 128, (byte) 255, 10, 20, 30});
        float[] p = ClipPreprocess.normalize(img);
        assertEquals(6, p.length);
        assertEquals((0f / 255f - 0.48145466f) / 0.26862954f, p[0]);
        assertEquals((10f / 255f - 0.48145466f) / 0.26862954f, p[1]);
        assertEquals((128f / 255f - 0.4578275f) / 0.26130258f, p[2]);
        assertEquals((255f / 255f - 0.40821073f) / 0.27577711f, p[4]);
        assertEquals((30f / 255f - 0.40821073f) / 0.27577711f, p[5]);
    }

    @Test
    void onePixelImage() {
        float[] px = ClipPreprocess.clipPixels(new RgbImage(1, 1, new byte[] {(byte) 255, 0, 7}), 64);
        assertEquals(3 * 64 * 64, px.length);
        for (int c = 0; c < 3; c++) {
            float v = px[c * 4096];
            for (int i = 0; i < 4096; i++) assertEquals(v, px[c * 4096 + i]);
        }
        assertArrayEquals(new float[] {(1f - 0.48145466f) / 0.26862954f, (0f - 0.4578275f) / 0.26130258f,
            (7f / 255f - 0.40821073f) / 0.27577711f}, new float[] {px[0], px[4096], px[8192]});
    }

    private static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    private static void assertDims(int w, int h, RgbImage img) {
        assertEquals(w, img.width(), "width");
        assertEquals(h, img.height(), "height");
    }
}
