package dev.clipengine.midlayer;

/**
 * ResCLIP's semantic-feedback matrix (docs/mid-layer-methods.md, "SFR"), built from the pass-1 patch labels L on
 * the row-major {@code gh×gw} grid:
 * <ol>
 * <li>{@code E[i][j] = 1} where {@code L_i == L_j};</li>
 * <li>same-entity test: a same-label pair keeps 1 only if every sampled cell on the straight path from i toward j
 *     carries L_i; otherwise it decays to {@code exp(−s/M)} with s the Chebyshev distance and
 *     {@code M = max(gh, gw) − 1}. The samples are at {@code t = k/M} for {@code k = 0..s} (the repository's global step,
 *     so only the first s/M of the segment is checked), rounded half to even;</li>
 * <li>a 1-D Gaussian blur (σ, length {@code min(T, int(6σ+1))} made odd, zero padding) along the flattened key index
 *     of each row, which crosses grid rows as the repository's does;</li>
 * <li>rows divided by their sum + 1e-8; the class token's row and column are 0.</li>
 * </ol>
 */
final class SfrMatrix {

    private SfrMatrix() {
    }

    /** The {@code (1+T)²} matrix, row-major, class token at index 0. */
    static float[] of(int[] labels, int gh, int gw, double sigma) {
        int t = gh * gw, n = t + 1, m = Math.max(gh, gw) - 1;
        float[] steps = linspace(m);
        float[] e = new float[t * t];
        for (int i = 0; i < t; i++) {
            int ri = i / gw, ci = i % gw;
            for (int j = 0; j < t; j++) {
                if (labels[i] != labels[j]) continue;
                int rj = j / gw, cj = j % gw;
                int s = Math.max(Math.abs(ri - rj), Math.abs(ci - cj));
                boolean valid = true;
                for (int k = 0; k <= s && valid; k++) {
                    float a = 1f - steps[k];
                    int rr = (int) Math.rint(ri * a + rj * steps[k]);
                    int cc = (int) Math.rint(ci * a + cj * steps[k]);
                    valid = labels[rr * gw + cc] == labels[i];
                }
                e[i * t + j] = valid || m == 0 ? 1f : (float) Math.exp(-((float) s / (float) m));
            }
        }
        float[] kernel = kernel(t, sigma);
        int half = kernel.length / 2;
        float[] out = new float[n * n];
        float[] row = new float[t];
        for (int i = 0; i < t; i++) {
            double sum = 0;
            for (int j = 0; j < t; j++) {
                float acc = 0;
                for (int k = 0; k < kernel.length; k++) {
                    int src = j + k - half;
                    if (src >= 0 && src < t) acc += kernel[k] * e[i * t + src];
                }
                row[j] = Math.max(acc, 0f);
                sum += row[j];
            }
            float denom = (float) sum + 1e-8f;
            for (int j = 0; j < t; j++) out[(1 + i) * n + 1 + j] = row[j] / denom;
        }
        return out;
    }

    /**
     * {@code torch.linspace(0, 1, M+1)} in float32 as the CUDA kernel computes it: {@code step = 1/M}; the first half
     * {@code step·k}, the second {@code 1 − step·(M−k)} (fused multiply-add).
     */
    static float[] linspace(int m) {
        float[] t = new float[m + 1];
        if (m == 0) return t;
        float step = 1f / m;
        int half = (m + 1) / 2;
        for (int k = 0; k <= m; k++) t[k] = k < half ? step * k : Math.fma(-step, (float) (m - k), 1f);
        return t;
    }

    /** The normalized Gaussian taps, length {@code min(T, int(6σ+1))}, made odd. */
    static float[] kernel(int t, double sigma) {
        int size = Math.min(t, (int) (6 * sigma + 1));
        if (size % 2 == 0) size++;
        float[] g = new float[size];
        float sum = 0;
        float twoSigma2 = (float) (2 * sigma * sigma);
        for (int k = 0; k < size; k++) {
            int x = k - size / 2;
            g[k] = (float) Math.exp(-(float) (x * x) / twoSigma2);
            sum += g[k];
        }
        for (int k = 0; k < size; k++) g[k] /= sum;
        return g;
    }
}
