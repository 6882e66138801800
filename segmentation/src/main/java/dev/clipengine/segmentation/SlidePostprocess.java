package dev.clipengine.segmentation;

/**
 * The decision of the slide protocol at the original image size (docs/training-free-methods.md §3.8, §3.9): the
 * averaged cosine logits of every query are upsampled (PyTorch bilinear) to the original size, then per pixel
 * {@code P = softmax(logitScale · logits)} over all queries jointly, each class takes the largest probability of
 * its synonyms, classes whose predicted area is small are dropped ({@code areaThd}), the argmax (first index on
 * ties) is the label, and pixels whose top probability is below {@code probThd} become class 0.
 *
 * <p>Computed without materializing the full-size maps: one output row at a time. Because exp is monotone, the
 * argmax of the class probabilities is the argmax of each class's best synonym logit; the top probability is
 * {@code 1 / Σ_j exp(s·(l_j − l_best))}, its denominator over every query as in the reference.
 *
 * @param queryClass the class of each query (synonyms share a class), in {@code [0, numClasses)}
 * @param logitScale the protocol's constant (40, 50, 65), not CLIP's learned 100
 * @param probThd    0 disables the threshold
 * @param areaThd    null disables the area filter (SCLIP's VOC21 profile uses 0.1); class 0 is never dropped
 */
public record SlidePostprocess(int[] queryClass, int numClasses, float logitScale, float probThd, Float areaThd) {

    public SlidePostprocess {
        queryClass = queryClass.clone();
        if (numClasses < 1) throw new IllegalArgumentException("need at least one class");
        for (int c : queryClass) {
            if (c < 0 || c >= numClasses) throw new IllegalArgumentException("query class " + c + " outside [0, " + numClasses + ")");
        }
        if (!(probThd >= 0 && probThd <= 1)) throw new IllegalArgumentException("prob threshold must be in [0, 1], got " + probThd);
        if (areaThd != null && !(areaThd >= 0 && areaThd <= 1)) throw new IllegalArgumentException("area threshold must be in [0, 1], got " + areaThd);
        if (!(logitScale > 0 && Float.isFinite(logitScale))) throw new IllegalArgumentException("logit scale must be positive, got " + logitScale);
    }

    /**
     * Labels at {@code outH × outW} from planar {@code Q × h × w} cosine logits.
     *
     * @return row-major labels in {@code [0, numClasses)}
     */
    public int[] labels(float[] logits, int h, int w, int outH, int outW) {
        int q = queryClass.length;
        BilinearRows up = new BilinearRows(h, w, outH, outW);
        float[] row = new float[q * outW];
        boolean[] keep = new boolean[numClasses];
        java.util.Arrays.fill(keep, true);
        int[] labels = new int[outH * outW];
        float[] best = new float[numClasses];
        int[] bestQuery = new int[numClasses];
        if (areaThd != null) {
            long[] area = new long[numClasses];
            BilinearRows.Cursor first = up.cursor(logits, q);
            for (int oy = 0; oy < outH; oy++) {
                first.row(0, q, oy, row);
                for (int ox = 0; ox < outW; ox++) area[decide(row, ox, outW, keep, best, bestQuery)]++;
            }
            long foreground = 0;
            for (int c = 1; c < numClasses; c++) foreground += area[c];
            // the reference compares float32 counts with float32 area_thd * total
            float limit = areaThd * (float) foreground;
            for (int c = 1; c < numClasses; c++) keep[c] = (float) area[c] > limit;
        }
        BilinearRows.Cursor rows = up.cursor(logits, q);
        for (int oy = 0; oy < outH; oy++) {
            rows.row(0, q, oy, row);
            for (int ox = 0; ox < outW; ox++) {
                int c = decide(row, ox, outW, keep, best, bestQuery);
                if (probThd > 0 && topProbability(row, ox, outW, bestQuery[c]) < probThd) c = 0;
                labels[oy * outW + ox] = c;
            }
        }
        return labels;
    }

    /** Argmax over the kept classes of the best synonym logit; ties go to the lower class, as torch.argmax. */
    private int decide(float[] row, int ox, int outW, boolean[] keep, float[] best, int[] bestQuery) {
        java.util.Arrays.fill(best, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(bestQuery, -1);
        for (int j = 0; j < queryClass.length; j++) {
            float v = row[j * outW + ox];
            int c = queryClass[j];
            if (v > best[c] || bestQuery[c] < 0) {
                best[c] = v;
                bestQuery[c] = j;
            }
        }
        int arg = 0;
        for (int c = 1; c < numClasses; c++) {
            if (keep[c] && best[c] > best[arg]) arg = c;
        }
        return arg;
    }

    private double topProbability(float[] row, int ox, int outW, int query) {
        double top = row[query * outW + ox], sum = 0;
        for (int j = 0; j < queryClass.length; j++) sum += Math.exp(logitScale * (row[j * outW + ox] - top));
        return 1.0 / sum;
    }
}
