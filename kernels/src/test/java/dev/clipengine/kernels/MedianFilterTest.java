package dev.clipengine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MedianFilterTest {

    @Test
    void matchesSortingReferenceOnOddShapes() {
        Random rnd = new Random(12);
        for (int[] s : new int[][] {{1, 1}, {2, 3}, {7, 9}, {13, 8}, {3, 40}}) {
            int h = s[0], w = s[1];
            for (int k : new int[] {1, 2, 3, 4, 5, 7}) {
                float[] src = new float[h * w];
                for (int i = 0; i < src.length; i++) {
                    src[i] = rnd.nextInt(5); // few distinct values: lots of duplicates in every window
                }
                assertArrayEquals(Reference.median(src, h, w, k), MedianFilter.median(src, h, w, k),
                        h + "x" + w + " k=" + k);
                float[] noisy = TestData.random(rnd, h * w);
                assertArrayEquals(Reference.median(noisy, h, w, k), MedianFilter.median(noisy, h, w, k));
            }
        }
    }

    @Test
    void largeWindowUsesSelectionPath() {
        Random rnd = new Random(13);
        float[] src = TestData.random(rnd, 11 * 12);
        assertArrayEquals(Reference.median(src, 11, 12, 9), MedianFilter.median(src, 11, 12, 9));
    }

    @Test
    void matchesScipy() {
        assertArrayEquals(PytorchFixtures.MEDIAN_5x6_K3, MedianFilter.median(PytorchFixtures.input(1, 5, 6), 5, 6, 3));
        assertArrayEquals(PytorchFixtures.MEDIAN_5x6_K4, MedianFilter.median(PytorchFixtures.input(1, 5, 6), 5, 6, 4));
        assertArrayEquals(PytorchFixtures.MEDIAN_2x3_K5, MedianFilter.median(PytorchFixtures.input(1, 2, 3), 2, 3, 5));
        assertArrayEquals(PytorchFixtures.MEDIAN_7x9_K5, MedianFilter.median(PytorchFixtures.input(1, 7, 9), 7, 9, 5));
    }

    @Test
    void reflectIsHalfSampleSymmetric() {
        // d c b a | a b c d | d c b a  for a..d at 0..3
        int[] expected = {3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0};
        for (int i = -4; i < 8; i++) {
            assertEquals(expected[i + 4], MedianFilter.reflect(i, 4), "index " + i);
        }
        assertEquals(0, MedianFilter.reflect(-3, 1));
    }
}
