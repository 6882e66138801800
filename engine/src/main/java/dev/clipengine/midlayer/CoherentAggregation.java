package dev.clipengine.midlayer;

/**
 * SC-CLIP's adaptive aggregation by mid-layer similarity (docs/mid-layer-methods.md, "Aggregation"): cosine
 * similarities below β = 0.4 are set to 0 (those above keep their value, not binarised), each row is divided by its
 * sum + 1e-6, and tokens are mixed by left multiplication.
 */
final class CoherentAggregation {

    static final float BETA = 0.4f;
    static final float EPS = 1e-6f;

    private CoherentAggregation() {
    }

    /** The row-normalized, thresholded similarities {@code [n, n]}. */
    static float[] weights(float[] similarity, int n) {
        float[] w = new float[n * n];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                float s = similarity[i * n + j];
                float v = s < BETA ? 0f : s;
                w[i * n + j] = v;
                sum += v;
            }
            float denom = (float) sum + EPS;
            for (int j = 0; j < n; j++) w[i * n + j] /= denom;
        }
        return w;
    }
}
