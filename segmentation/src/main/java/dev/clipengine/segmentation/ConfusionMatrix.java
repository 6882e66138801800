package dev.clipengine.segmentation;

import java.util.Arrays;

/**
 * Pixel counts of (ground truth, prediction) pairs over a dataset, in 64-bit integers. Rows are ground-truth classes;
 * ground truth outside {@code [0, n)} (ignore labels) is not counted. A prediction outside {@code [0, n)} counts in
 * its ground-truth row as a miss of every class (an extra column), so it lowers recall without raising any class's
 * predicted area. Thread-safe for {@link #add}; merging order does not change the result.
 */
public final class ConfusionMatrix {

    private final int n;
    /** {@code n × (n+1)}: column n holds predictions outside [0, n). */
    private final long[] counts;

    public ConfusionMatrix(int numClasses) {
        if (numClasses < 1) throw new IllegalArgumentException("need at least one class");
        this.n = numClasses;
        this.counts = new long[numClasses * (numClasses + 1)];
    }

    public int numClasses() {
        return n;
    }

    /** Adds one image; {@code gt} and {@code pred} are aligned per pixel. */
    public void add(int[] gt, int[] pred) {
        if (gt.length != pred.length) {
            throw new IllegalArgumentException("ground truth has " + gt.length + " pixels, prediction " + pred.length);
        }
        long[] local = new long[counts.length];
        for (int i = 0; i < gt.length; i++) {
            int g = gt[i];
            if (g < 0 || g >= n) continue;
            int p = pred[i];
            local[g * (n + 1) + (p >= 0 && p < n ? p : n)]++;
        }
        synchronized (counts) {
            for (int i = 0; i < counts.length; i++) counts[i] += local[i];
        }
    }

    /** Pixels with ground truth {@code g} predicted as {@code p} ({@code p == n}: outside the classes). */
    public long get(int g, int p) {
        synchronized (counts) {
            return counts[g * (n + 1) + p];
        }
    }

    /** A snapshot {@code n × (n+1)}, row-major. */
    public long[] counts() {
        synchronized (counts) {
            return Arrays.copyOf(counts, counts.length);
        }
    }
}
