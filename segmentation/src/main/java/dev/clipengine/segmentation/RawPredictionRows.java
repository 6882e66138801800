package dev.clipengine.segmentation;

import java.util.Arrays;

/**
 * CLIPtrase's per-pixel CLIP prediction ({@link ClusterVoting#rawPrediction}) one output row at a time: bilinear
 * up-sampling of the patch logits (PyTorch, align_corners=False), the optional per-row weights, first-index argmax,
 * top-1 minus top-2 and the background collapse. Memory is two horizontally interpolated source rows of every class
 * ({@link BilinearRows.Cursor}), {@code CHUNK × outW} floats for the up-sampled values and three row arrays, whatever the number of classes and the image height; the values are bit-identical to
 * up-sampling the whole map first (the per-pixel order of the comparisons is the same).
 */
final class RawPredictionRows {

    /** Channels up-sampled at once: a bound on memory for 847-class vocabularies and on cache footprint. */
    static final int CHUNK = 32;

    private final float[] logits, classWeights;
    private final int rows, numClasses, outW;
    private final boolean collapseBackground;
    private final BilinearRows.Cursor up;
    private final float[] top1, top2;
    private float[] chunk;   // only for ATen's small-output kernel

    RawPredictionRows(float[] logits, int rows, int gh, int gw, float[] classWeights, int numClasses,
                      boolean collapseBackground, int outH, int outW) {
        if (rows < 1 || gh < 1 || gw < 1 || outH < 1 || outW < 1) {
            throw new IllegalArgumentException("bad sizes rows=" + rows + " grid=" + gh + "x" + gw + " out=" + outH + "x" + outW);
        }
        if (logits.length != (long) rows * gh * gw) {
            throw new IllegalArgumentException("logits must hold rows*gh*gw = " + (long) rows * gh * gw + " values, got " + logits.length);
        }
        if (classWeights != null && classWeights.length != rows) throw new IllegalArgumentException("classWeights must have " + rows + " entries");
        if (collapseBackground && (numClasses < 0 || numClasses > rows)) {
            throw new IllegalArgumentException("numClasses " + numClasses + " not in [0, " + rows + "]");
        }
        this.logits = logits;
        this.classWeights = classWeights;
        this.rows = rows;
        this.numClasses = numClasses;
        this.collapseBackground = collapseBackground;
        this.outW = outW;
        this.up = new BilinearRows(gh, gw, outH, outW).cursor(logits, rows);
        this.top1 = new float[outW];
        this.top2 = new float[outW];
    }

    /** Per-thread buffers: two horizontal rows of every class, a chunk and the row arrays, in bytes. */
    static long bufferBytes(int rows, int outW) {
        return 4L * outW * (2L * rows + Math.min(CHUNK, rows) + 5);
    }

    /** Row {@code oy}: the prediction into {@code arg[0, outW)} and, when {@code gap} is not null, the margin. */
    void row(int oy, int[] arg, float[] gap) {
        Arrays.fill(arg, 0, outW, 0);
        Arrays.fill(top2, Float.NEGATIVE_INFINITY);
        if (up.prepare(oy)) fused(oy, arg);
        else chunked(oy, arg);
        for (int x = 0; x < outW; x++) {
            if (gap != null) gap[x] = rows == 1 ? Float.POSITIVE_INFINITY : top1[x] - top2[x];
            if (collapseBackground && arg[x] >= numClasses) arg[x] = numClasses;
        }
    }

    /** The generic kernel: each value computed from the cached horizontal rows where it is compared, never stored. */
    private void fused(int oy, int[] arg) {
        float[] t = up.top(), b = up.bottom();
        float a0 = up.weightTop(oy), a1 = up.weightBottom(oy);
        for (int c = 0; c < rows; c++) {
            int off = c * outW;
            float wc = classWeights == null ? 1f : classWeights[c];
            boolean weighted = classWeights != null;
            if (c == 0) {
                for (int x = 0; x < outW; x++) {
                    float v = Math.fma(t[off + x], a0, b[off + x] * a1);
                    top1[x] = weighted ? v * wc : v;
                }
                continue;
            }
            for (int x = 0; x < outW; x++) {
                float u = Math.fma(t[off + x], a0, b[off + x] * a1);
                float v = weighted ? u * wc : u;
                if (v > top1[x]) {
                    top2[x] = top1[x];
                    top1[x] = v;
                    arg[x] = c;
                } else if (v > top2[x]) {
                    top2[x] = v;
                }
            }
        }
    }

    /** ATen's small-output kernel: up-sampled rows of a chunk of classes, then compared. */
    private void chunked(int oy, int[] arg) {
        if (chunk == null) chunk = new float[Math.min(CHUNK, rows) * outW];
        for (int c0 = 0; c0 < rows; c0 += CHUNK) {
            int ch = Math.min(CHUNK, rows - c0);
            up.row(c0, c0 + ch, oy, chunk);
            for (int t = 0; t < ch; t++) {
                int c = c0 + t, off = t * outW;
                if (c == 0) {
                    for (int x = 0; x < outW; x++) top1[x] = classWeights == null ? chunk[off + x] : chunk[off + x] * classWeights[0];
                    continue;
                }
                float wc = classWeights == null ? 1f : classWeights[c];
                boolean weighted = classWeights != null;
                for (int x = 0; x < outW; x++) {
                    float v = weighted ? chunk[off + x] * wc : chunk[off + x];
                    if (v > top1[x]) {
                        top2[x] = top1[x];
                        top1[x] = v;
                        arg[x] = c;
                    } else if (v > top2[x]) {
                        top2[x] = v;
                    }
                }
            }
        }
    }
}
