package dev.clipengine.segmentation;

import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** OpenCV's uint8 INTER_LINEAR: hand-computed cases of each code path, and OpenCV's own output from the fixtures. */
class OpenCvResizeTest {

    /**
     * Rows 1 and 5 stretched to 8 rows: at output row 3 (fy = 0.375, β = 1280/768) the exact value is 2.5. OpenCV's
     * vector lanes give ((128·1280)>>16) + ((640·768)>>16) + 2 >> 2 = (2 + 7 + 2) >> 2 = 2, its scalar tail
     * (2048·1280 + 10240·768 + 2^21) >> 22 = 3. A 30-wide row runs 16 + 8 values in lanes, the last 6 scalar.
     */
    @Test
    void vectorLanesAndScalarTailRoundDifferently() {
        int w = 30;
        byte[] src = new byte[2 * w];
        Arrays.fill(src, 0, w, (byte) 1);
        Arrays.fill(src, w, 2 * w, (byte) 5);
        byte[] out = OpenCvResize.linear(src, w, 2, 1, w, 8);
        for (int x = 0; x < w; x++) assertEquals(x < 24 ? 2 : 3, out[3 * w + x], "row 3, x " + x);
        // rows 0 and 7 lie outside the source centres: both taps clamp to one row, the value stays
        for (int x = 0; x < w; x++) {
            assertEquals(1, out[x]);
            assertEquals(5, out[7 * w + x]);
        }
    }

    /**
     * Columns: 0 and 255 to 3 columns. Column 0 maps left of the first centre (clamped, weight 0), column 1 to the
     * middle (fx = 0.5, weights 1024/1024: 255·1024·2048 + 2^21 >> 22 = 128), column 2 past the last centre.
     */
    @Test
    void horizontalTapsClampAtTheBorders() {
        byte[] out = OpenCvResize.linear(new byte[] {0, (byte) 255}, 2, 1, 1, 3, 1);
        assertArrayEquals(new byte[] {0, (byte) 128, (byte) 255}, out);
    }

    /**
     * An exact 2× shrink is INTER_AREA: 2×2 means. The vector blocks (8 values for one channel) round
     * (sum + 2) >> 2; the remainder uses saturate_cast(sum · 0.25f), half to even. A block of sum 10 gives 3 in
     * lanes and 2 in the tail; sum 6 gives 2 either way.
     */
    @Test
    void exactHalfIsAreaAverage() {
        int dw = 9, sw = 2 * dw;
        byte[] src = new byte[2 * sw];
        for (int x = 0; x < sw; x++) {
            src[x] = (byte) (x % 2 == 0 ? 1 : 2);
            src[sw + x] = (byte) (x % 2 == 0 ? 3 : 4);     // each 2×2 block sums to 10
        }
        byte[] out = OpenCvResize.linear(src, sw, 2, 1, dw, 1);
        for (int x = 0; x < dw; x++) assertEquals(x < 8 ? 3 : 2, out[x], "x " + x);
        byte[] six = OpenCvResize.linear(new byte[] {1, 2, 1, 2}, 2, 2, 1, 1, 1);
        assertEquals(2, six[0]);
    }

    @Test
    void equalSizeIsACopy() {
        byte[] src = {1, 2, 3, 4, 5, 6};
        assertArrayEquals(src, OpenCvResize.linear(src, 2, 1, 3, 2, 1));
    }

    /** cv2.resize output stored by the fixture generator (160×120 → 128×96, BGR). */
    @Test
    void reproducesOpenCvOnTheFixtureImage() throws IOException {
        var dir = Fixtures.dir().resolve("methods");
        BufferedImage img = ImageIO.read(dir.resolve("input.png").toFile());
        int w = img.getWidth(), h = img.getHeight();
        int[] px = img.getRaster().getPixels(0, 0, w, h, (int[]) null);
        byte[] rgb = new byte[px.length];
        for (int i = 0; i < px.length; i++) rgb[i] = (byte) px[i];
        byte[] out = OpenCvResize.linear(rgb, w, h, 3, 128, 96);
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("golden.safetensors"))) {
            byte[] bgr = f.tensor("input.resized_bgr").data().toArray(ValueLayout.JAVA_BYTE);
            for (int p = 0; p < 128 * 96; p++) {
                for (int c = 0; c < 3; c++) assertEquals(bgr[3 * p + 2 - c], out[3 * p + c], "pixel " + p + " channel " + c);
            }
        }
    }
}
