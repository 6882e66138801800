package dev.clipengine.kernels;

/**
 * Port of {@code scipy.ndimage.median_filter(plane, size=k, mode='reflect')} for one float32 plane.
 *
 * <p>The window along each axis covers {@code [i - k/2, i - k/2 + k - 1]} (scipy's centring, origin 0), the result is
 * the element of rank {@code k*k/2} in the sorted window (the true median for odd k, the upper middle for even k),
 * and out-of-range indices reflect about the edge including the edge sample: {@code d c b a | a b c d | d c b a}.
 */
public final class MedianFilter {

    private MedianFilter() {
    }

    /**
     * @param src row-major {@code h × w} plane (not modified)
     * @param k   window side, at least 1
     * @return a new filtered {@code h × w} plane
     */
    public static float[] median(float[] src, int h, int w, int k) {
        if (h <= 0 || w <= 0 || k <= 0) {
            throw new IllegalArgumentException("median filter needs positive sizes, got " + h + "x" + w + " k=" + k);
        }
        if (src.length != h * w) {
            throw new IllegalArgumentException("median filter plane has " + src.length + " values, expected " + h + "x" + w);
        }
        int half = k / 2;
        // Precompute reflected row/column indices for every window position so the inner loop is a plain gather.
        int[] rows = reflectedIndices(h, half, k);
        int[] cols = reflectedIndices(w, half, k);
        int rank = k * k / 2;
        float[] window = new float[k * k];
        float[] dst = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int n = 0;
                for (int dy = 0; dy < k; dy++) {
                    int rowStart = rows[y + dy] * w;
                    for (int dx = 0; dx < k; dx++) {
                        window[n++] = src[rowStart + cols[x + dx]];
                    }
                }
                dst[y * w + x] = select(window, rank);
            }
        }
        return dst;
    }

    /** Entry {@code p + d} holds the source index for window offset d (0..k-1) at output position p. */
    private static int[] reflectedIndices(int size, int half, int k) {
        int[] idx = new int[size + k - 1];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = reflect(i - half, size);
        }
        return idx;
    }

    /** scipy 'reflect' (half-sample symmetric): period 2*size, the second half mirrored. */
    static int reflect(int i, int size) {
        int period = 2 * size;
        int m = Math.floorMod(i, period);
        return m < size ? m : period - 1 - m;
    }

    /** The element of the given rank (0-based) of {@code a}; reorders {@code a}. */
    private static float select(float[] a, int rank) {
        if (a.length <= 32) {
            // Small windows (the usual 3x3, 5x5): insertion sort beats quickselect's bookkeeping.
            for (int i = 1; i < a.length; i++) {
                float v = a[i];
                int j = i - 1;
                while (j >= 0 && a[j] > v) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = v;
            }
            return a[rank];
        }
        int lo = 0, hi = a.length - 1;
        while (lo < hi) {
            // Hoare partition around the middle element.
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) {
                    float t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (rank <= j) {
                hi = j;
            } else if (rank >= i) {
                lo = i;
            } else {
                return a[rank];
            }
        }
        return a[rank];
    }
}
