package dev.clipengine.segmentation;

import dev.clipengine.kernels.MedianFilter;
import dev.clipengine.kernels.Resample;

import java.util.Arrays;

/**
 * THE BASELINE: {@code ClusterVoting} as it was before it streamed by rows (issue 18), kept verbatim only to check
 * that the streaming version gives identical maps ({@code StreamingVotingTest}) and to measure against it (jmh's
 * {@code PostprocessBenchmark}, through this module's test-jar). It holds {@code 32 × outH × outW}
 * up-sampled logits and {@code K × outH × outW} prototype maps at once. Not used by the engine.
 *
 * <p>CLIPtrase post-processing of the reference pipeline (docs/cliptrase.md §3.2): per-pixel CLIP prediction, cluster prototypes,
 * smoothed prototype argmax (the cluster map) and hard majority voting inside each cluster.
 *
 * <p>Every step is a separately callable static method ({@link #rawPrediction}, {@link #prototypes},
 * {@link #clusterMap}, {@link #vote}); {@link #run} chains them. The patch grid may be non-square ({@code gh × gw},
 * patch {@code p} at row {@code p / gw}, column {@code p % gw}) and the output size is free ({@code outH × outW}).
 * All label maps are row-major {@code [outH × outW]}.
 *
 * <p>Reference quirks reproduced (docs/cliptrase.md §7): background words collapse to class {@code C} <i>before</i> voting (S2), so
 * they vote as one class; DBSCAN noise patches are excluded from the prototypes but every pixel still joins the
 * argmax prototype (S1); a single cluster relabels the whole image with one class; no clusters (all labels −1) leaves
 * the raw prediction.
 */
public final class ClusterVotingBaseline {

    /** Prototype up-sampling factor before the median filter (reference {@code ratio = 4}). */
    public static final int RATIO = 4;
    /** Median window, {@code 2·RATIO − 1 = 7}. */
    public static final int MEDIAN_WINDOW = 2 * RATIO - 1;
    /** Logit channels up-sampled per call in {@link #rawPrediction} (bounds memory for 847-class vocabularies). */
    static final int CHANNEL_CHUNK = 32;

    private ClusterVotingBaseline() {
    }

    /**
     * Output of the post-processing.
     *
     * @param height     output rows
     * @param width      output columns
     * @param rawPred    per-pixel argmax of the up-sampled, re-weighted logits, background collapsed
     * @param rawGap     top-1 minus top-2 of the up-sampled, re-weighted logits over all text rows
     *                   ({@code +∞} with a single row); small values flag pixels another exact port may flip
     * @param clusterMap per-pixel prototype argmax, {@code null} when DBSCAN found no cluster
     * @param pred       final prediction (= {@code rawPred} when there is no cluster)
     * @param clusters   number of DBSCAN clusters K
     * @param noise      number of DBSCAN noise patches
     */
    public record Result(int height, int width, int[] rawPred, float[] rawGap, int[] clusterMap, int[] pred,
                         int clusters, int noise) {
    }

    /** Per-pixel prediction and its decision margin. */
    public record RawPrediction(int[] pred, float[] gap) {
    }

    /**
     * The whole reference post-processing.
     *
     * @param logits             {@code [rows × gh × gw]} planar patch logits (class-major)
     * @param rows               number of text rows C' (classes plus background words)
     * @param classWeights       optional per-row multiplicative weights applied after up-sampling (the VOC20 [CLS]
     *                           re-weighting {@code 100·(f_cls·t_c)}), or {@code null}
     * @param numClasses         number of real classes C
     * @param collapseBackground whether rows {@code ≥ C} (background words) collapse to class {@code C}
     * @param m                  denoised correlation {@code [N × N]}, {@code N = gh·gw}
     * @param labels             DBSCAN labels of the {@code N} rows of {@code m}
     */
    public static Result run(float[] logits, int rows, int gh, int gw, float[] classWeights, int numClasses,
                             boolean collapseBackground, float[] m, int[] labels, int outH, int outW) {
        RawPrediction raw = rawPrediction(logits, rows, gh, gw, classWeights, numClasses, collapseBackground,
                outH, outW);
        return fromRaw(raw, gh, gw, m, labels, outH, outW);
    }

    /** The clustering half of {@link #run}, given an already computed raw prediction. */
    public static Result fromRaw(RawPrediction raw, int gh, int gw, float[] m, int[] labels, int outH, int outW) {
        int n = gh * gw;
        int k = clusterCount(labels, n);
        int noise = 0;
        for (int l : labels) if (l < 0) noise++;
        if (k == 0) {
            return new Result(outH, outW, raw.pred(), raw.gap(), null, raw.pred().clone(), 0, noise);
        }
        float[] protos = prototypes(m, n, labels, k);
        int[] cid = clusterMap(protos, k, gh, gw, outH, outW);
        int[] pred = vote(raw.pred(), cid, k);
        return new Result(outH, outW, raw.pred(), raw.gap(), cid, pred, k, noise);
    }

    /**
     * Bilinear up-sampling of the patch logits to {@code outH × outW} (PyTorch, align_corners=False), multiplication by
     * the optional per-row weights, first-index argmax (ties → lowest row) and, if {@code collapseBackground}, every
     * row index {@code ≥ numClasses} replaced by {@code numClasses}. Logits are expected to be finite.
     */
    public static RawPrediction rawPrediction(float[] logits, int rows, int gh, int gw, float[] classWeights,
                                              int numClasses, boolean collapseBackground, int outH, int outW) {
        if (rows < 1 || gh < 1 || gw < 1 || outH < 1 || outW < 1) {
            throw new IllegalArgumentException("bad sizes rows=" + rows + " grid=" + gh + "x" + gw
                    + " out=" + outH + "x" + outW);
        }
        int plane = gh * gw;
        if (logits.length != (long) rows * plane) {
            throw new IllegalArgumentException("logits must hold rows*gh*gw = " + (long) rows * plane
                    + " values, got " + logits.length);
        }
        if (classWeights != null && classWeights.length != rows) {
            throw new IllegalArgumentException("classWeights must have " + rows + " entries");
        }
        if (collapseBackground && (numClasses < 0 || numClasses > rows)) {
            throw new IllegalArgumentException("numClasses " + numClasses + " not in [0, " + rows + "]");
        }
        int pixels = outH * outW;
        float[] top1 = new float[pixels];
        float[] top2 = new float[pixels];
        int[] arg = new int[pixels];
        Arrays.fill(top2, Float.NEGATIVE_INFINITY);
        for (int c0 = 0; c0 < rows; c0 += CHANNEL_CHUNK) {
            int ch = Math.min(CHANNEL_CHUNK, rows - c0);
            float[] chunk = Arrays.copyOfRange(logits, c0 * plane, (c0 + ch) * plane);
            float[] up = Resample.bilinear(chunk, ch, gh, gw, outH, outW);
            for (int t = 0; t < ch; t++) {
                int c = c0 + t;
                int off = t * pixels;
                if (c == 0) {
                    for (int p = 0; p < pixels; p++) {
                        top1[p] = classWeights == null ? up[off + p] : up[off + p] * classWeights[0];
                    }
                    continue;
                }
                float wc = classWeights == null ? 1f : classWeights[c];
                boolean weighted = classWeights != null;
                for (int p = 0; p < pixels; p++) {
                    float v = weighted ? up[off + p] * wc : up[off + p];
                    if (v > top1[p]) {
                        top2[p] = top1[p];
                        top1[p] = v;
                        arg[p] = c;
                    } else if (v > top2[p]) {
                        top2[p] = v;
                    }
                }
            }
        }
        float[] gap = new float[pixels];
        for (int p = 0; p < pixels; p++) {
            gap[p] = rows == 1 ? Float.POSITIVE_INFINITY : top1[p] - top2[p];
            if (collapseBackground && arg[p] >= numClasses) arg[p] = numClasses;
        }
        return new RawPrediction(arg, gap);
    }

    /**
     * Number of clusters K = max label + 1, after checking that labels are in {@code [-1, K)} and every cluster
     * {@code 0..K-1} has at least one member (as DBSCAN guarantees).
     */
    public static int clusterCount(int[] labels, int n) {
        if (labels.length != n) throw new IllegalArgumentException("expected " + n + " labels, got " + labels.length);
        int k = 0;
        for (int l : labels) {
            if (l < -1) throw new IllegalArgumentException("label " + l + " < -1");
            k = Math.max(k, l + 1);
        }
        boolean[] seen = new boolean[k];
        for (int l : labels) if (l >= 0) seen[l] = true;
        for (int c = 0; c < k; c++) if (!seen[c]) throw new IllegalArgumentException("cluster " + c + " is empty");
        return k;
    }

    /**
     * Prototypes {@code P_k = mean of rows m[i] with labels[i] == k} ({@code [K × N]}, noise rows excluded). The sum is
     * accumulated in double and the mean rounded once to float (the reference's fp32 torch mean differs by at most a
     * few ulps).
     */
    public static float[] prototypes(float[] m, int n, int[] labels, int k) {
        if (m.length != (long) n * n) throw new IllegalArgumentException("m must be N×N with N=" + n);
        if (labels.length != n) throw new IllegalArgumentException("expected " + n + " labels");
        double[] sum = new double[k * n];
        int[] count = new int[k];
        for (int i = 0; i < n; i++) {
            int l = labels[i];
            if (l < 0) continue;
            if (l >= k) throw new IllegalArgumentException("label " + l + " >= K=" + k);
            count[l]++;
            for (int j = 0, s = l * n, r = i * n; j < n; j++) sum[s + j] += m[r + j];
        }
        float[] p = new float[k * n];
        for (int c = 0; c < k; c++) {
            if (count[c] == 0) throw new IllegalArgumentException("cluster " + c + " is empty");
            for (int j = 0; j < n; j++) p[c * n + j] = (float) (sum[c * n + j] / count[c]);
        }
        return p;
    }

    /**
     * Cluster map from prototypes: each prototype, viewed as a {@code gh × gw} image, is bilinearly up-sampled to
     * {@code (4gh, 4gw)}, median filtered with a 7×7 window (scipy, mode reflect), up-sampled to {@code outH × outW},
     * then each pixel takes the first-index argmax over the K prototypes.
     *
     * @param protos {@code [K × gh·gw]}
     */
    public static int[] clusterMap(float[] protos, int k, int gh, int gw, int outH, int outW) {
        int n = gh * gw;
        if (k < 1 || protos.length != (long) k * n) {
            throw new IllegalArgumentException("protos must hold K*gh*gw values with K >= 1");
        }
        int mh = RATIO * gh, mw = RATIO * gw, mp = mh * mw;
        float[] mid = Resample.bilinear(protos, k, gh, gw, mh, mw);
        float[] filtered = new float[k * mp];
        for (int c = 0; c < k; c++) {
            float[] plane = Arrays.copyOfRange(mid, c * mp, (c + 1) * mp);
            System.arraycopy(MedianFilter.median(plane, mh, mw, MEDIAN_WINDOW), 0, filtered, c * mp, mp);
        }
        float[] up = Resample.bilinear(filtered, k, mh, mw, outH, outW);
        int pixels = outH * outW;
        int[] cid = new int[pixels];
        float[] best = Arrays.copyOf(up, pixels);
        for (int c = 1; c < k; c++) {
            int off = c * pixels;
            for (int p = 0; p < pixels; p++) {
                float v = up[off + p];
                if (v > best[p]) {
                    best[p] = v;
                    cid[p] = c;
                }
            }
        }
        return cid;
    }

    /**
     * Hard majority voting: for each cluster k, the most frequent value of {@code rawPred} over the pixels with
     * {@code clusterMap == k} (ties → smallest class id) overwrites those pixels. Pixels are disjoint between
     * clusters, so the order of clusters does not matter. Returns a new array.
     */
    public static int[] vote(int[] rawPred, int[] clusterMap, int k) {
        if (rawPred.length != clusterMap.length) throw new IllegalArgumentException("size mismatch");
        int classes = 0;
        for (int v : rawPred) {
            if (v < 0) throw new IllegalArgumentException("negative class " + v);
            classes = Math.max(classes, v + 1);
        }
        long[] hist = new long[Math.multiplyExact(k, classes)];
        for (int p = 0; p < rawPred.length; p++) {
            int c = clusterMap[p];
            if (c < 0 || c >= k) throw new IllegalArgumentException("cluster id " + c + " outside [0," + k + ")");
            hist[c * classes + rawPred[p]]++;
        }
        int[] mode = new int[k];
        for (int c = 0; c < k; c++) {
            long best = -1;
            for (int v = 0; v < classes; v++) {
                long h = hist[c * classes + v];
                if (h > best) {
                    best = h;
                    mode[c] = v;
                }
            }
        }
        int[] out = new int[rawPred.length];
        for (int p = 0; p < out.length; p++) out[p] = mode[clusterMap[p]];
        return out;
    }
}
