package dev.clipengine.model;

/**
 * NACLIP's additive attention bias Ω (training-free-methods.md §2.5): for patch tokens p = (r_p, c_p) and
 * q = (r_q, c_q) on the row-major grid, {@code Ω[1+p][1+q] = exp(-((r_p-r_q)² + (c_p-c_q)²) / (2σ²))};
 * row 0 and column 0 (the class token) are 0. The reference builds it as a 'same' convolution of one-hot
 * maps with a (2H'-1)×(2W'-1) window, which equals this closed form for every pair (no truncation).
 */
public final class NeighbourhoodBias {

    private NeighbourhoodBias() {
    }

    /** The {@code (1+gh·gw)²} bias, row-major. */
    public static float[] of(int gh, int gw, double sigma) {
        int n = 1 + gh * gw;
        // the weight only depends on (|dr|, |dc|): tabulate the gh×gw distinct values once
        float[] table = new float[gh * gw];
        double twoSigma2 = 2 * sigma * sigma;
        for (int dr = 0; dr < gh; dr++) {
            for (int dc = 0; dc < gw; dc++) table[dr * gw + dc] = (float) Math.exp(-(dr * dr + dc * dc) / twoSigma2);
        }
        float[] omega = new float[n * n];
        for (int p = 0; p < gh * gw; p++) {
            int rp = p / gw, cp = p % gw, row = (1 + p) * n + 1;
            for (int q = 0; q < gh * gw; q++) {
                omega[row + q] = table[Math.abs(rp - q / gw) * gw + Math.abs(cp - q % gw)];
            }
        }
        return omega;
    }
}
