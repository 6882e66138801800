package dev.clipengine.midlayer;

/**
 * SC-CLIP's repair of outlier tokens (docs/mid-layer-methods.md, "Repair"): on the row-major {@code gh×gw} patch
 * grid, every outlier cell becomes the mean of its 8-neighbours that are inside the grid and not outliers, all read
 * from the unrepaired tokens; an outlier with no such neighbour keeps its value. Cell {@code p} is at row
 * {@code p / gw}, column {@code p % gw} (the repository divides by the row count, which agrees on square grids only).
 */
final class OutlierRepair {

    private OutlierRepair() {
    }

    /** A repaired copy of {@code tokens} ({@code [gh·gw, dim]}). */
    static float[] repair(float[] tokens, int gh, int gw, int dim, int[] outliers) {
        boolean[] isOutlier = new boolean[gh * gw];
        for (int o : outliers) isOutlier[o] = true;
        float[] out = tokens.clone();
        float[] sum = new float[dim];
        for (int o : outliers) {
            int r = o / gw, c = o % gw, count = 0;
            java.util.Arrays.fill(sum, 0f);
            for (int dr = -1; dr <= 1; dr++) {
                for (int dc = -1; dc <= 1; dc++) {
                    int rr = r + dr, cc = c + dc;
                    if ((dr == 0 && dc == 0) || rr < 0 || rr >= gh || cc < 0 || cc >= gw) continue;
                    int q = rr * gw + cc;
                    if (isOutlier[q]) continue;
                    for (int k = 0; k < dim; k++) sum[k] += tokens[q * dim + k];
                    count++;
                }
            }
            if (count == 0) continue;
            for (int k = 0; k < dim; k++) out[o * dim + k] = sum[k] / count;
        }
        return out;
    }
}
