package dev.clipengine.segmentation;

import java.util.stream.IntStream;


/**
 * CLIPtrase post-processing of the reference pipeline (spec §3.2): per-pixel CLIP prediction, cluster prototypes,
 * smoothed prototype argmax (the cluster map) and hard majority voting inside each cluster.
 *
 * <p>Every step is a separately callable static method ({@link #rawPrediction}, {@link #prototypes},
 * {@link #clusterMap}, {@link #vote}); {@link #run} chains them. The patch grid may be non-square ({@code gh × gw},
 * patch {@code p} at row {@code p / gw}, column {@code p % gw}) and the output size is free ({@code outH × outW}).
 * All label maps are row-major {@code [outH × outW]}.
 *
 * <p>Everything at the output resolution streams by rows ({@link #stream}): the up-sampled logits and prototype maps
 * exist one row (and a chunk of channels) at a time, so memory is {@code O(outW × chunk)} plus the label image,
 * never {@code C × outH × outW} (an 8000×6000 photo with 21 classes would need 4 GB for that). Votes need the
 * whole cluster before any pixel is relabelled, so a first pass stores each kept pixel's cluster id in the label
 * image and counts (cluster, class) pairs, and a second pass replaces the ids by their cluster's majority class
 * (docs/protocols.md, "Post-processing at any resolution").
 *
 * <p>Reference quirks reproduced (spec §7): background words collapse to class {@code C} <i>before</i> voting (S2), so
 * they vote as one class; DBSCAN noise patches are excluded from the prototypes but every pixel still joins the
 * argmax prototype (S1); a single cluster relabels the whole image with one class; no clusters (all labels −1) leaves
 * the raw prediction.
 */
public final class ClusterVoting {

    /** Prototype up-sampling factor before the median filter (reference {@code ratio = 4}). */
    public static final int RATIO = 4;
    /** Median window, {@code 2·RATIO − 1 = 7}. */
    public static final int MEDIAN_WINDOW = 2 * RATIO - 1;

    private ClusterVoting() {
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
     * The patch scores the per-pixel prediction is made from.
     *
     * @param logits             {@code [rows × gh × gw]} planar patch logits (class-major)
     * @param rows               number of text rows C' (classes plus background words)
     * @param classWeights       optional per-row multiplicative weights applied after up-sampling (the VOC20 [CLS]
     *                           re-weighting {@code 100·(f_cls·t_c)}), or {@code null}
     * @param numClasses         number of real classes C
     * @param collapseBackground whether rows {@code ≥ C} (background words) collapse to class {@code C}
     */
    public record Scores(float[] logits, int rows, int gh, int gw, float[] classWeights, int numClasses,
                         boolean collapseBackground) {
    }

    /** The per-pixel intermediate maps of one streamed run ({@code outH × outW} each), for conformance checks. */
    public record Diagnostics(int[] rawPred, float[] rawGap, int[] clusterMap) {
        public static Diagnostics of(int outH, int outW) {
            int pixels = Math.multiplyExact(outH, outW);
            return new Diagnostics(new int[pixels], new float[pixels], new int[pixels]);
        }
    }

    /** What a streamed run found: DBSCAN's cluster count K and noise patches. */
    public record Summary(int clusters, int noise) {
    }

    /**
     * The whole reference post-processing, with every intermediate map kept ({@link Result}); for maps small enough
     * to hold several copies (the reference's 336×336). {@link #stream} is the same computation for any size.
     *
     * @param m      denoised correlation {@code [N × N]}, {@code N = gh·gw}
     * @param labels DBSCAN labels of the {@code N} rows of {@code m}
     */
    public static Result run(float[] logits, int rows, int gh, int gw, float[] classWeights, int numClasses,
                             boolean collapseBackground, float[] m, int[] labels, int outH, int outW) {
        LabelTarget target = LabelTarget.whole(outW, outH);
        Diagnostics d = Diagnostics.of(outH, outW);
        Summary s = stream(new Scores(logits, rows, gh, gw, classWeights, numClasses, collapseBackground), m, labels,
                outH, outW, target, d);
        return new Result(outH, outW, d.rawPred(), d.rawGap(), s.clusters() == 0 ? null : d.clusterMap(), target.labels(),
                s.clusters(), s.noise());
    }

    /**
     * The post-processing of one {@code outH × outW} map, streamed by rows into {@code target} (only its kept
     * rectangle is written). Votes count every pixel of the map, kept or not, so a window of a larger image votes as
     * it would alone. {@code diagnostics}, when not null, receives the raw prediction, its margin and the cluster map
     * of the whole map (the cluster map is left as zeros when DBSCAN found no cluster).
     */
    public static Summary stream(Scores scores, float[] m, int[] labels, int outH, int outW, LabelTarget target,
                                 Diagnostics diagnostics) {
        return stream(scores, m, labels, outH, outW, target, diagnostics, 0);
    }

    /** As {@link #stream}, in {@code bandsWanted} bands of rows ({@code 0}: one per core, within the memory budget). */
    static Summary stream(Scores scores, float[] m, int[] labels, int outH, int outW, LabelTarget target,
                          Diagnostics diagnostics, int bandsWanted) {
        int gh = scores.gh(), gw = scores.gw(), n = gh * gw;
        if (target.keepX1() > outW || target.keepY1() > outH) {
            throw new IllegalArgumentException("kept rectangle outside the " + outW + "x" + outH + " map");
        }
        int k = clusterCount(labels, n);
        int noise = 0;
        for (int l : labels) if (l < 0) noise++;
        ClusterMapRows clusters = k == 0 ? null : new ClusterMapRows(prototypes(m, n, labels, k), k, gh, gw, outH, outW);
        int classes = scores.rows();
        long perBand = RawPredictionRows.bufferBytes(classes, outW) + (k == 0 ? 0 : ClusterMapRows.bufferBytes(k, outW) + 8L * k * classes);
        int bands = bandsWanted > 0 ? Math.min(bandsWanted, outH) : bands(outH, perBand);
        long[][] hists = new long[bands][];
        // bands of rows in parallel, each with its own row buffers and histogram; integer counts, so the votes (and
        // every label) are the same for any number of bands
        IntStream.range(0, bands).parallel().forEach(b -> hists[b] = firstPass(scores, outH, outW, k,
                clusters == null ? null : clusters.copy(), target, diagnostics, b * outH / bands, (b + 1) * outH / bands));
        if (clusters != null) {
            long[] hist = hists[0];
            for (int b = 1; b < bands; b++) for (int i = 0; i < hist.length; i++) hist[i] += hists[b][i];
            int[] mode = modes(hist, k, classes);
            int[] dest = target.labels();
            int y0 = target.keepY0(), kept = target.keepY1() - y0;
            IntStream.range(0, bands).parallel().forEach(b -> {
                for (int oy = y0 + b * kept / bands, end = y0 + (b + 1) * kept / bands; oy < end; oy++) {
                    for (int i = target.index(target.keepX0(), oy), e = target.index(target.keepX1(), oy); i < e; i++) {
                        dest[i] = mode[dest[i]];
                    }
                }
            });
        }
        return new Summary(k, noise);
    }

    /**
     * Rows {@code [from, to)}: the raw prediction and (with clusters) the cluster map of each, the (cluster, class)
     * counts, the kept pixels' first-pass values, the diagnostics' rows. Returns the counts (null without clusters).
     */
    private static long[] firstPass(Scores scores, int outH, int outW, int k, ClusterMapRows clusters, LabelTarget target,
                                    Diagnostics diagnostics, int from, int to) {
        RawPredictionRows raw = new RawPredictionRows(scores.logits(), scores.rows(), scores.gh(), scores.gw(),
                scores.classWeights(), scores.numClasses(), scores.collapseBackground(), outH, outW);
        int classes = scores.rows();
        long[] hist = clusters == null ? null : new long[Math.multiplyExact(k, classes)];
        int[] arg = new int[outW], cid = new int[outW];
        float[] gap = diagnostics == null ? null : new float[outW];
        int[] dest = target.labels();
        for (int oy = from; oy < to; oy++) {
            raw.row(oy, arg, gap);
            if (clusters != null) {
                clusters.row(oy, cid);
                for (int x = 0; x < outW; x++) hist[cid[x] * classes + arg[x]]++;
            }
            if (diagnostics != null) {
                System.arraycopy(arg, 0, diagnostics.rawPred(), oy * outW, outW);
                System.arraycopy(gap, 0, diagnostics.rawGap(), oy * outW, outW);
                if (clusters != null) System.arraycopy(cid, 0, diagnostics.clusterMap(), oy * outW, outW);
            }
            if (oy < target.keepY0() || oy >= target.keepY1()) continue;
            // first pass: the cluster id where there are clusters (replaced by the vote), else the final raw class
            int[] first = clusters != null ? cid : arg;
            System.arraycopy(first, target.keepX0(), dest, target.index(target.keepX0(), oy), target.keepX1() - target.keepX0());
        }
        return hist;
    }

    /**
     * How many bands of rows to run at once: one per core, each at least 32 rows, and all their row buffers within
     * an eighth of the heap (a 847-class vocabulary on a wide image under a small heap runs in one band).
     */
    static int bands(int outH, long bytesPerBand) {
        long budget = Runtime.getRuntime().maxMemory() / 8;
        long byMemory = Math.max(1, budget / Math.max(1, bytesPerBand));
        int cores = Runtime.getRuntime().availableProcessors();
        return (int) Math.max(1, Math.min(Math.min(cores, byMemory), outH / 32));
    }

    /** Each cluster's most frequent class (ties → the smallest class id; an empty cluster → 0). */
    private static int[] modes(long[] hist, int k, int classes) {
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
        return mode;
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
     * row index {@code ≥ numClasses} replaced by {@code numClasses}. Logits are expected to be finite. Computed by
     * rows ({@link RawPredictionRows}); only the two {@code outH × outW} results are held.
     */
    public static RawPrediction rawPrediction(float[] logits, int rows, int gh, int gw, float[] classWeights,
                                              int numClasses, boolean collapseBackground, int outH, int outW) {
        RawPredictionRows raw = new RawPredictionRows(logits, rows, gh, gw, classWeights, numClasses, collapseBackground,
                outH, outW);
        int[] pred = new int[Math.multiplyExact(outH, outW)];
        float[] gap = new float[pred.length];
        int[] arg = new int[outW];
        float[] g = new float[outW];
        for (int oy = 0; oy < outH; oy++) {
            raw.row(oy, arg, g);
            System.arraycopy(arg, 0, pred, oy * outW, outW);
            System.arraycopy(g, 0, gap, oy * outW, outW);
        }
        return new RawPrediction(pred, gap);
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
        ClusterMapRows rows = new ClusterMapRows(protos, k, gh, gw, outH, outW);
        int[] cid = new int[Math.multiplyExact(outH, outW)];
        int[] row = new int[outW];
        for (int oy = 0; oy < outH; oy++) {
            rows.row(oy, row);
            System.arraycopy(row, 0, cid, oy * outW, outW);
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
