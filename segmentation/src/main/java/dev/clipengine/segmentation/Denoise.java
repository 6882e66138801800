package dev.clipengine.segmentation;

/**
 * "Global patch" denoising of the patch self-correlation before clustering.
 *
 * <ul>
 *   <li>{@link #clsRow} — what the reference code does (docs/cliptrase.md §3.2, the default):
 *       {@code M[i][j] = max(0, W[i+1][j+1] − W[0][j+1])}, i.e. the [CLS] row of the correlation is subtracted from
 *       every patch row and negatives are clamped to 0.</li>
 *   <li>{@link #selfWeight} — an <b>interpretation</b> of the paper's Eq. 7 (docs/cliptrase.md §7 D4), which the official code
 *       does not implement. See that method for exactly what is computed.</li>
 * </ul>
 */
public final class Denoise {

    private Denoise() {
    }

    /**
     * Reference "global patch denoise" (docs/cliptrase.md §3.2): from the {@code [L×L]} correlation {@code w} (row-major, token 0 =
     * [CLS], {@code L = tokens}) returns the {@code [N×N]} matrix ({@code N = L − 1})
     * {@code M[i][j] = W[i+1][j+1] − W[0][j+1]}, set to 0 where it is negative. Computed in fp32 exactly like
     * {@code M = W[1:,1:] − W[0,1:]; M[M<0] = 0} (a NaN stays NaN, −0.0 stays −0.0).
     */
    public static float[] clsRow(float[] w, int tokens) {
        checkSquare(w, tokens);
        int n = tokens - 1;
        float[] m = new float[n * n];
        for (int i = 0; i < n; i++) {
            int src = (i + 1) * tokens + 1;
            for (int j = 0; j < n; j++) {
                float v = w[src + j] - w[1 + j];
                m[i * n + j] = v < 0f ? 0f : v;
            }
        }
        return m;
    }

    /**
     * Result of {@link #selfWeight}: the patch correlation {@code m} ({@code [N×N]}, = {@code W[1:,1:]} unchanged),
     * which patches were marked global, and the compacted clustering input over the kept patches.
     *
     * @param m         {@code [N×N]} patch block of W (prototypes are built from its full rows)
     * @param global    {@code global[i]} = patch {@code i} was discarded as a global patch
     * @param kept      indices of the kept patches, increasing
     * @param features  {@code [kept × kept]}: rows/columns of {@code m} restricted to kept patches (the DBSCAN input)
     */
    public record SelfWeight(float[] m, int n, boolean[] global, int[] kept, float[] features) {

        /** Number of patches marked global. */
        public int globalCount() {
            return n - kept.length;
        }

        /**
         * Maps DBSCAN labels computed on {@link #features()} (one per kept patch) back to all {@code N} patches; global
         * patches get {@code -1} (noise), so they are left out of the prototypes exactly like DBSCAN noise.
         */
        public int[] expandLabels(int[] keptLabels) {
            if (keptLabels.length != kept.length) {
                throw new IllegalArgumentException("expected " + kept.length + " labels, got " + keptLabels.length);
            }
            int[] out = new int[n];
            java.util.Arrays.fill(out, -1);
            for (int t = 0; t < kept.length; t++) out[kept[t]] = keptLabels[t];
            return out;
        }
    }

    /** {@link #selfWeight(float[], int, double)} with {@code ratio = 1}. */
    public static SelfWeight selfWeight(float[] w, int tokens) {
        return selfWeight(w, tokens, 1.0);
    }

    /**
     * Paper Eq. 7 alternative — <b>our interpretation</b>, not the reference pipeline (docs/cliptrase.md §7 D4; the official code
     * never implements it). The paper identifies "global" patches (patches that correlate with almost everything,
     * so their own self-correlation does not stand out from their row) through the self-weight {@code w_ii} compared
     * with the row mean, discards them, clusters the remaining patches and drops the noise cluster. Implemented here:
     * <ol>
     *   <li>{@code P = W[1:,1:]} (the [CLS] token is ignored; no subtraction, no clamping).</li>
     *   <li>For each patch {@code i}: {@code mean_i = (1/N) Σ_j P[i][j]} over all {@code N} patch columns (diagonal
     *       included), evaluated in double.</li>
     *   <li>Patch {@code i} is <b>global</b> iff {@code P[i][i] < ratio · mean_i} (strict). With {@code ratio = 1}
     *       this means "its self-weight is below the average weight of its row". On the cosine W11 (diagonal ≡ 1,
     *       entries ≤ 1) {@code ratio = 1} never marks anything; it is meaningful for softmax-type correlations
     *       (rows summing to a constant) or with {@code ratio > 1}.</li>
     *   <li>The clustering input is {@code P} restricted to kept rows <i>and</i> kept columns (global patches are
     *       removed from the feature space too); {@link SelfWeight#expandLabels} marks global patches as noise
     *       ({@code -1}), so the pipeline excludes them from the prototypes, which use full rows of {@code P}. The
     *       "noise cluster is dropped" in the same way DBSCAN noise is.</li>
     * </ol>
     * Not calibrated against the paper's numbers; offered as a named option only.
     */
    public static SelfWeight selfWeight(float[] w, int tokens, double ratio) {
        checkSquare(w, tokens);
        if (!(ratio >= 0) || Double.isInfinite(ratio)) throw new IllegalArgumentException("ratio must be finite and >= 0");
        int n = tokens - 1;
        float[] p = new float[n * n];
        for (int i = 0; i < n; i++) System.arraycopy(w, (i + 1) * tokens + 1, p, i * n, n);
        boolean[] global = new boolean[n];
        int keptCount = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += p[i * n + j];
            double mean = s / n;
            global[i] = p[i * n + i] < ratio * mean;
            if (!global[i]) keptCount++;
        }
        int[] kept = new int[keptCount];
        for (int i = 0, t = 0; i < n; i++) if (!global[i]) kept[t++] = i;
        float[] f = new float[keptCount * keptCount];
        for (int a = 0; a < keptCount; a++) {
            for (int b = 0; b < keptCount; b++) f[a * keptCount + b] = p[kept[a] * n + kept[b]];
        }
        return new SelfWeight(p, n, global, kept, f);
    }

    private static void checkSquare(float[] w, int tokens) {
        if (tokens < 1) throw new IllegalArgumentException("need at least the [CLS] token, tokens=" + tokens);
        if (w == null || w.length < (long) tokens * tokens) {
            throw new IllegalArgumentException("w must hold tokens² = " + (long) tokens * tokens + " values");
        }
    }
}
