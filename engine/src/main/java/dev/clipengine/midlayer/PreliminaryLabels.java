package dev.clipengine.midlayer;

/**
 * ResCLIP's pass-1 pixel decision (docs/mid-layer-methods.md, "Preliminary segmentation"):
 * {@code softmax(logitScale · m)} over the queries, the argmax (first index on ties), and label 0 where the top
 * probability is below {@code temp_thd}. Labels are query indices: synonyms of one class are different labels.
 */
record PreliminaryLabels(int[] labels) {

    static PreliminaryLabels of(float[] maps, int queries, int h, int w, float logitScale, float tempThd) {
        int hw = h * w;
        int[] labels = new int[hw];
        for (int p = 0; p < hw; p++) {
            int best = 0;
            for (int j = 1; j < queries; j++) if (maps[j * hw + p] > maps[best * hw + p]) best = j;
            double top = maps[best * hw + p], sum = 0;
            for (int j = 0; j < queries; j++) sum += Math.exp(logitScale * (maps[j * hw + p] - top));
            labels[p] = 1.0 / sum < tempThd ? 0 : best;
        }
        return new PreliminaryLabels(labels);
    }
}
