package dev.clipengine.segmentation;

import dev.clipengine.kernels.Resample;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Row-at-a-time bilinear (direct and through a cursor's cached horizontal rows) equals Resample.bilinear bit for bit. */
class BilinearRowsTest {

    @Test
    void rowsAndCursorsEqualTheWholeMapResample() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int t = 0; t < 200; t++) {
            int ch = 1 + rnd.nextInt(5), inH = 1 + rnd.nextInt(12), inW = 1 + rnd.nextInt(12);
            // both of ATen's kernels: outH + outW <= 128 and above; down-sampling and equal sizes too
            int outH = t % 7 == 0 ? inH : 1 + rnd.nextInt(t % 2 == 0 ? 60 : 400);
            int outW = t % 5 == 0 ? inW : 1 + rnd.nextInt(t % 2 == 0 ? 60 : 400);
            float[] src = new float[ch * inH * inW];
            for (int i = 0; i < src.length; i++) src[i] = (float) rnd.nextGaussian();
            float[] expected = Resample.bilinear(src, ch, inH, inW, outH, outW);
            BilinearRows rows = new BilinearRows(inH, inW, outH, outW);
            assertArrayEquals(expected, rows.all(src, ch), "all, case " + t);
            BilinearRows.Cursor cursor = rows.cursor(src, ch);
            float[] row = new float[ch * outW];
            for (int oy = 0; oy < outH; oy++) {
                int from = rnd.nextInt(ch), to = from + 1 + rnd.nextInt(ch - from);
                cursor.row(from, to, oy, row);
                for (int c = from; c < to; c++) {
                    float[] want = java.util.Arrays.copyOfRange(expected, (c * outH + oy) * outW, (c * outH + oy + 1) * outW);
                    float[] got = java.util.Arrays.copyOfRange(row, (c - from) * outW, (c - from + 1) * outW);
                    assertArrayEquals(want, got, "cursor, case " + t + " row " + oy + " channel " + c);
                }
            }
        }
    }
}
