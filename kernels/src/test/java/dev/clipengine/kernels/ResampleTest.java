package dev.clipengine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ResampleTest {

    @Test
    void constantImageStaysConstant() {
        float[] src = new float[2 * 5 * 7];
        Arrays.fill(src, 0.3f);
        for (float v : Resample.bilinear(src, 2, 5, 7, 11, 3)) {
            assertEquals(0.3f, v, 1e-7f);
        }
        for (float v : Resample.bicubic(src, 2, 5, 7, 11, 3, 5f / 11, 7f / 3)) {
            assertEquals(0.3f, v, 1e-6f); // Keys weights sum to 1 up to float rounding
        }
    }

    @Test
    void bilinearTwoByTwoToFourByFourWorkedByHand() {
        // scale 0.5: source x = 0.5*(d+0.5)-0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (index 1, neighbour 1).
        // So each row [a, b] becomes [a, .75a+.25b, .25a+.75b, b], and likewise down the columns.
        float[] src = {0, 4, 8, 12};
        float[] expected = {
            0, 1, 3, 4,
            2, 3, 5, 6,
            6, 7, 9, 10,
            8, 9, 11, 12,
        };
        assertArrayEquals(expected, Resample.bilinear(src, 1, 2, 2, 4, 4));
    }

    @Test
    void bicubicReproducesALinearRampOnlyAtSymmetricPhases() {
        // Keys' kernel reproduces linear functions only for A = -0.5. With PyTorch's A = -0.75 a ramp is reproduced
        // where t is 0 or 1/2 (the weights are symmetric), e.g. when downsampling by exactly 2 (t = 1/2 everywhere).
        int inH = 8, inW = 12, outH = 4, outW = 6;
        float[] src = new float[inH * inW];
        for (int y = 0; y < inH; y++) {
            for (int x = 0; x < inW; x++) {
                src[y * inW + x] = x + 10f * y;
            }
        }
        float[] out = Resample.bicubic(src, 1, inH, inW, outH, outW, 2f, 2f);
        for (int oy = 1; oy < outH - 1; oy++) { // rows/cols whose taps are not clamped
            for (int ox = 1; ox < outW - 1; ox++) {
                assertEquals((2 * ox + 0.5f) + 10 * (2 * oy + 0.5f), out[oy * outW + ox], 1e-5f);
            }
        }
        // At t = 1/4 the weights are w = (.140625A, .84375-.046875A, .15625-.140625A, .046875A), worked by hand:
        // sum_j w_j*(j-1) = .15625 - .1875A = .296875 for A = -0.75 (it would be exactly .25 for A = -0.5).
        float[] ramp = {0, 1, 2, 3, 4, 5, 6, 7};
        // in 8 -> out 16: source x = 0.5*(d+0.5)-0.5; d = 6 gives 2.75 (x0 = 2, t = .75), d = 5 gives 2.25 (t = .25).
        float[] up = Resample.bicubic(ramp, 1, 1, 8, 1, 16, 1f, 0.5f);
        assertEquals(2.296875f, up[5], 1e-6f);
        assertEquals(2.703125f, up[6], 1e-6f);
    }

    @Test
    void bicubicScaleFactorCaseComputedWithTheFormulas() {
        // F.interpolate(x, scale_factor=(6+0.1)/4, mode='bicubic'): output 6, coordinate scale (float)(1/1.525).
        int in = 4, out = 6;
        float scale = (float) (1.0 / ((6 + 0.1) / 4));
        float[] src = PytorchFixtures.input(1, in, in);
        float[] expected = new float[out * out];
        for (int oy = 0; oy < out; oy++) {
            for (int ox = 0; ox < out; ox++) {
                expected[oy * out + ox] = bicubicByHand(src, in, in, scale, oy, scale, ox);
            }
        }
        // The formulas above round every step; Resample fuses multiply-adds as PyTorch does (~1e-6 apart here).
        float[] actual = Resample.bicubic(src, 1, in, in, out, out, scale, scale);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5f, "index " + i);
        }
        // Spot-check the source coordinate and clamped taps of output 0 and 5 (in = 4).
        assertEquals(-0.17213115f, Resample.sourceIndex(scale, 0), 1e-7f);
        assertEquals(3.1065574f, Resample.sourceIndex(scale, 5), 1e-6f); // x0 = 3: taps 2,3,4,5 -> 2,3,3,3
        // Output 0 has source coordinate scale*0.5-0.5 < 0: taps -2..1 clamp to 0,0,0,1.
        assertEquals(-1, (int) Math.floor(scale * 0.5f - 0.5f));
    }

    /** The Keys formulas written out directly for one output pixel (A = -0.75), float arithmetic. */
    private static float bicubicByHand(float[] src, int inH, int inW, float sy, int oy, float sx, int ox) {
        float ry = sy * (oy + 0.5f) - 0.5f, rx = sx * (ox + 0.5f) - 0.5f;
        int y0 = (int) Math.floor(ry), x0 = (int) Math.floor(rx);
        float ty = ry - y0, tx = rx - x0;
        float[] wy = keys(ty), wx = keys(tx);
        float result = 0;
        for (int j = 0; j < 4; j++) {
            int yy = Math.clamp(y0 - 1 + j, 0, inH - 1);
            float row = 0;
            for (int i = 0; i < 4; i++) {
                int xx = Math.clamp(x0 - 1 + i, 0, inW - 1);
                row += src[yy * inW + xx] * wx[i];
            }
            result += row * wy[j];
        }
        return result;
    }

    private static float[] keys(float t) {
        float a = -0.75f;
        float x2 = 1 - t;
        return new float[] {cc2(t + 1, a), cc1(t, a), cc1(x2, a), cc2(x2 + 1, a)};
    }

    private static float cc1(float x, float a) {
        return ((a + 2) * x - (a + 3)) * x * x + 1;
    }

    private static float cc2(float x, float a) {
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    }

    @Test
    void bilinearMatchesPytorch() {
        assertBitExact(PytorchFixtures.BILINEAR_UP,
                Resample.bilinear(PytorchFixtures.input(2, 3, 5), 2, 3, 5, 7, 11));
        assertBitExact(PytorchFixtures.BILINEAR_DOWN,
                Resample.bilinear(PytorchFixtures.input(1, 9, 7), 1, 9, 7, 4, 3));
        assertBitExact(PytorchFixtures.BILINEAR_SAME_H,
                Resample.bilinear(PytorchFixtures.input(1, 4, 6), 1, 4, 6, 4, 9));
    }

    @Test
    void bicubicMatchesPytorch() {
        assertClose(PytorchFixtures.BICUBIC_UP,
                Resample.bicubic(PytorchFixtures.input(2, 3, 5), 2, 3, 5, 7, 11, 3f / 7, 5f / 11));
        assertClose(PytorchFixtures.BICUBIC_DOWN,
                Resample.bicubic(PytorchFixtures.input(1, 9, 7), 1, 9, 7, 4, 3, 9f / 4, 7f / 3));
        float sf = (float) (1.0 / ((6 + 0.1) / 4));
        assertClose(PytorchFixtures.BICUBIC_SF, Resample.bicubic(PytorchFixtures.input(1, 4, 4), 1, 4, 4, 6, 6, sf, sf));
        float sf14 = (float) (1.0 / ((32 + 0.1) / 14));
        assertClose(PytorchFixtures.BICUBIC_SF_14,
                Resample.bicubic(PytorchFixtures.input(1, 14, 14), 1, 14, 14, 32, 32, sf14, sf14));
    }

    @Test
    void largeOutputsMatchPytorch() throws Exception {
        // outH + outW > 128 selects ATen's generic bilinear kernel.
        assertBitExact(fixture("bilinear_2x7x5_to_50x90.f32", 2 * 50 * 90),
                Resample.bilinear(PytorchFixtures.input(2, 7, 5), 2, 7, 5, 50, 90));
        assertBitExact(fixture("bilinear_1x3x4_to_64x65.f32", 64 * 65),
                Resample.bilinear(PytorchFixtures.input(1, 3, 4), 1, 3, 4, 64, 65));
        assertClose(fixture("bicubic_1x5x7_to_60x70.f32", 60 * 70),
                Resample.bicubic(PytorchFixtures.input(1, 5, 7), 1, 5, 7, 60, 70, 5f / 60, 7f / 70));
    }

    private static float[] fixture(String name, int count) throws java.io.IOException {
        try (var in = ResampleTest.class.getResourceAsStream(name)) {
            byte[] bytes = in.readAllBytes();
            assertEquals(4 * count, bytes.length, name);
            float[] values = new float[count];
            java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            return values;
        }
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> Resample.bilinear(new float[5], 1, 2, 2, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> Resample.bicubic(new float[4], 1, 2, 2, 0, 4, 1f, 1f));
    }

    private static void assertBitExact(float[] expected, float[] actual) {
        assertArrayEquals(expected, actual);
    }

    /** Bicubic sums agree with PyTorch to a few ulps (see Resample.bicubic); the downstream tolerance is 1e-4. */
    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 8 * Math.ulp(Math.max(1f, Math.abs(expected[i]))), "index " + i);
        }
    }
}
