package dev.clipengine.midlayer;

import java.util.Arrays;

/**
 * SC-CLIP's outlier detector (docs/mid-layer-methods.md, "Outliers"): the repository's own variant of the local
 * outlier factor, not the textbook one. With squared Euclidean distances, {@code kd_i} the squared distance from
 * token i to its k-th nearest other token, the score is {@code LOF_i = kd_i · mean_{o∈kNN(i)} 1/kd_o} (the reach
 * distance uses the point's own k-distance, so every reach of i equals kd_i). Outliers are the scores strictly
 * above {@code torch.quantile(score, 1 − contamination)} (linear interpolation, float32 rank).
 *
 * @param neighbours    k (30 in the repository)
 * @param contamination the expected outlier share (0.05)
 */
record LocalOutlierScore(int neighbours, float contamination) {

    static final LocalOutlierScore SC_CLIP = new LocalOutlierScore(30, 0.05f);

    /** Scores of {@code count} points of {@code dim} values each (row-major). */
    float[] scores(float[] points, int count, int dim) {
        if (count < neighbours + 1) {
            throw new IllegalArgumentException("SC-CLIP's outlier score needs at least " + (neighbours + 1)
                    + " patches per window (the point and " + neighbours + " neighbours), got " + count
                    + "; use a larger --crop or --size");
        }
        float[] kDistance = new float[count];
        int[][] nearest = new int[count][];
        float[] dist = new float[count];
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < count; j++) {
                double ss = 0;
                for (int c = 0; c < dim; c++) {
                    float d = points[i * dim + c] - points[j * dim + c];
                    ss += (double) d * d;
                }
                float norm = (float) Math.sqrt(ss);
                dist[j] = norm * norm;   // the norm of the difference, squared
                order[j] = j;
            }
            final float[] di = dist;
            final int self = i;
            // ascending; the point itself first among equals (it is the one the reference drops)
            Arrays.sort(order, (a, b) -> {
                int c = Float.compare(di[a], di[b]);
                if (c != 0) return c;
                return a == self ? -1 : b == self ? 1 : Integer.compare(a, b);
            });
            nearest[i] = new int[neighbours];
            for (int n = 0; n < neighbours; n++) nearest[i][n] = order[n + 1];
            kDistance[i] = dist[order[neighbours]];
        }
        float[] lof = new float[count];
        for (int i = 0; i < count; i++) {
            double inv = 0;
            for (int o : nearest[i]) inv += 1.0 / kDistance[o];
            lof[i] = (float) (kDistance[i] * inv / neighbours);
        }
        return lof;
    }

    /** {@code torch.quantile(scores, 1 − contamination)}: float32 rank, torch's two-sided lerp. */
    float threshold(float[] scores) {
        float[] s = scores.clone();
        Arrays.sort(s);
        float rank = (1f - contamination) * (float) (s.length - 1);
        int lo = (int) Math.floor(rank), hi = (int) Math.ceil(rank);
        float w = rank - lo;
        return w < 0.5f ? s[lo] + w * (s[hi] - s[lo]) : s[hi] - (s[hi] - s[lo]) * (1f - w);
    }

    /** Indices (ascending) of the scores strictly above {@link #threshold}. */
    int[] outliers(float[] scores) {
        float thr = threshold(scores);
        return java.util.stream.IntStream.range(0, scores.length).filter(i -> scores[i] > thr).toArray();
    }
}
