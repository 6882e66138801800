package dev.clipengine.segmentation;

import dev.clipengine.kernels.MedianFilter;
import dev.clipengine.kernels.Resample;

/**
 * CLIPtrase's cluster map ({@link ClusterVoting#clusterMap}) one output row at a time: the prototypes are
 * up-sampled to {@code 4gh × 4gw} and median filtered once (small: {@code K × 16·gh·gw}), then each output row is
 * up-sampled from that and takes the first-index argmax over the K prototypes. Bit-identical to up-sampling all K
 * maps to the full output first.
 */
final class ClusterMapRows {

    private final int k, outW;
    private final float[] filtered, best;
    private float[] chunk;   // only for ATen's small-output kernel
    private final BilinearRows geometry;
    private final BilinearRows.Cursor up;

    ClusterMapRows(float[] protos, int k, int gh, int gw, int outH, int outW) {
        this(k, outW, filtered(protos, k, gh, gw),
                new BilinearRows(ClusterVoting.RATIO * gh, ClusterVoting.RATIO * gw, outH, outW));
    }

    private ClusterMapRows(int k, int outW, float[] filtered, BilinearRows geometry) {
        this.k = k;
        this.outW = outW;
        this.filtered = filtered;
        this.geometry = geometry;
        this.up = geometry.cursor(filtered, k);
        this.best = new float[outW];
    }

    /** A reader of the same map for another thread: the filtered prototypes are shared, the row buffers are not. */
    ClusterMapRows copy() {
        return new ClusterMapRows(k, outW, filtered, geometry);
    }

    /** The prototypes bilinearly up-sampled to {@code 4gh × 4gw}, each median filtered (7×7, scipy's reflect). */
    private static float[] filtered(float[] protos, int k, int gh, int gw) {
        int n = gh * gw;
        if (k < 1 || protos.length != (long) k * n) throw new IllegalArgumentException("protos must hold K*gh*gw values with K >= 1");
        int mh = ClusterVoting.RATIO * gh, mw = ClusterVoting.RATIO * gw, mp = mh * mw;
        float[] mid = Resample.bilinear(protos, k, gh, gw, mh, mw);
        float[] filtered = new float[k * mp];
        float[] plane = new float[mp];
        for (int c = 0; c < k; c++) {
            System.arraycopy(mid, c * mp, plane, 0, mp);
            System.arraycopy(MedianFilter.median(plane, mh, mw, ClusterVoting.MEDIAN_WINDOW), 0, filtered, c * mp, mp);
        }
        return filtered;
    }

    /** Per-thread buffers: two horizontal rows of every prototype and a chunk, in bytes. */
    static long bufferBytes(int k, int outW) {
        return 4L * outW * (2L * k + Math.min(RawPredictionRows.CHUNK, k) + 2);
    }

    /** Row {@code oy} of the cluster map into {@code cid[0, outW)}. */
    void row(int oy, int[] cid) {
        java.util.Arrays.fill(cid, 0, outW, 0);
        if (k == 1) return;   // one prototype wins everywhere
        if (up.prepare(oy)) {
            float[] t = up.top(), b = up.bottom();
            float a0 = up.weightTop(oy), a1 = up.weightBottom(oy);
            for (int x = 0; x < outW; x++) best[x] = Math.fma(t[x], a0, b[x] * a1);
            for (int c = 1; c < k; c++) {
                int off = c * outW;
                for (int x = 0; x < outW; x++) {
                    float v = Math.fma(t[off + x], a0, b[off + x] * a1);
                    if (v > best[x]) {
                        best[x] = v;
                        cid[x] = c;
                    }
                }
            }
            return;
        }
        if (chunk == null) chunk = new float[Math.min(RawPredictionRows.CHUNK, k) * outW];
        for (int c0 = 0; c0 < k; c0 += RawPredictionRows.CHUNK) {
            int ch = Math.min(RawPredictionRows.CHUNK, k - c0);
            up.row(c0, c0 + ch, oy, chunk);
            for (int t = 0; t < ch; t++) {
                int c = c0 + t, off = t * outW;
                if (c == 0) {
                    System.arraycopy(chunk, 0, best, 0, outW);
                    continue;
                }
                for (int x = 0; x < outW; x++) {
                    float v = chunk[off + x];
                    if (v > best[x]) {
                        best[x] = v;
                        cid[x] = c;
                    }
                }
            }
        }
    }
}
