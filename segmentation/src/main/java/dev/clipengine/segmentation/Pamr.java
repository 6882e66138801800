package dev.clipengine.segmentation;

import java.util.Arrays;

/**
 * Pixel-adaptive mask refinement (PAMR, Araslanov &amp; Roth 2020) as the SCLIP family's and ResCLIP's code runs it
 * (docs/mid-layer-methods.md, "PAMR"): per pixel, an affinity to the 8 neighbours at each dilation, from how far the
 * guide image's colour there is from the centre's, scaled by the local spread of the guide; then {@code steps} rounds
 * of replacing every map value by the affinity-weighted mean of its neighbours' values.
 *
 * <p>For each dilation d the 3×3 set {(dy·d, dx·d)} (centre included) gives 9 samples; σ_k is the unbiased standard
 * deviation of the guide's channel k over all 9·|D| samples (so the centre counts once per dilation). For the
 * 8·|D| neighbours (centre excluded, order (−1,−1) … (1,1), dilations in order),
 * {@code a = mean_k −|I_k(p) − I_k(p+o)| / (1e-8 + 0.1·σ_k)}, softmax over the neighbours. Reads outside the image
 * are clamped to the border (replicate padding). Affinities are computed once; the map is iterated.
 *
 * <p>Serializable: the Spark job ships it, inside the slide options, to its executors.
 *
 * @param steps     iterations (10 in ResCLIP's pass 1 and NACLIP's default)
 * @param dilations neighbourhood dilations in pixels ((8, 16) in both)
 */
public record Pamr(int steps, int[] dilations) implements java.io.Serializable {

    /** The setting ResCLIP's pass 1 and NACLIP use: 10 steps, dilations 8 and 16. */
    public static Pamr standard() {
        return new Pamr(10, new int[] {8, 16});
    }

    public Pamr {
        dilations = dilations.clone();
        if (steps < 0) throw new IllegalArgumentException("PAMR steps must be >= 0, got " + steps);
        if (dilations.length == 0) throw new IllegalArgumentException("PAMR needs at least one dilation");
        for (int d : dilations) if (d < 1) throw new IllegalArgumentException("PAMR dilations must be >= 1, got " + d);
    }

    @Override
    public int[] dilations() {
        return dilations.clone();
    }

    private static final int[] DY = {-1, -1, -1, 0, 0, 1, 1, 1};
    private static final int[] DX = {-1, 0, 1, -1, 1, -1, 0, 1};

    /**
     * Refines {@code maps} ({@code [channels, h, w]}, planar) guided by {@code guide} ({@code [3 or more, h, w]},
     * planar); returns a new array.
     */
    public float[] refine(float[] maps, int channels, float[] guide, int guideChannels, int h, int w) {
        int hw = h * w;
        if (maps.length != channels * hw) throw new IllegalArgumentException("maps: expected " + channels + "x" + h + "x" + w);
        if (guide.length != guideChannels * hw) throw new IllegalArgumentException("guide: expected " + guideChannels + "x" + h + "x" + w);
        float[] affinity = affinities(guide, guideChannels, h, w);
        int nb = 8 * dilations.length;
        int[] offsets = neighbourIndex(h, w);
        float[] cur = maps.clone(), next = new float[maps.length];
        for (int s = 0; s < steps; s++) {
            for (int c = 0; c < channels; c++) {
                int base = c * hw;
                for (int p = 0; p < hw; p++) {
                    float acc = 0;
                    int a = p * nb;
                    for (int n = 0; n < nb; n++) acc += affinity[a + n] * cur[base + offsets[a + n]];
                    next[base + p] = acc;
                }
            }
            float[] t = cur;
            cur = next;
            next = t;
        }
        return cur;
    }

    /** For every pixel, the clamped index of each of its 8·|D| neighbours. */
    private int[] neighbourIndex(int h, int w) {
        int nb = 8 * dilations.length;
        int[] idx = new int[h * w * nb];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * nb;
                for (int di = 0; di < dilations.length; di++) {
                    int d = dilations[di];
                    for (int n = 0; n < 8; n++) {
                        int yy = clamp(y + DY[n] * d, h), xx = clamp(x + DX[n] * d, w);
                        idx[o + di * 8 + n] = yy * w + xx;
                    }
                }
            }
        }
        return idx;
    }

    /** Softmax-normalized affinities {@code [h·w, 8·|D|]}. */
    private float[] affinities(float[] guide, int gc, int h, int w) {
        int hw = h * w, nd = dilations.length, nb = 8 * nd, samples = 9 * nd;
        float[] logits = new float[hw * nb];
        float[] vals = new float[samples];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = y * w + x, o = p * nb;
                for (int k = 0; k < gc; k++) {
                    int base = k * hw;
                    float centre = guide[base + p];
                    // the 3×3 sets of every dilation, centre included once per dilation
                    int s = 0;
                    for (int d : dilations) {
                        for (int dy = -1; dy <= 1; dy++) {
                            for (int dx = -1; dx <= 1; dx++) {
                                vals[s++] = guide[base + clamp(y + dy * d, h) * w + clamp(x + dx * d, w)];
                            }
                        }
                    }
                    float std = unbiasedStd(vals);
                    float denom = 1e-8f + 0.1f * std;
                    for (int di = 0; di < nd; di++) {
                        int d = dilations[di];
                        for (int n = 0; n < 8; n++) {
                            float v = guide[base + clamp(y + DY[n] * d, h) * w + clamp(x + DX[n] * d, w)];
                            logits[o + di * 8 + n] += -Math.abs(centre - v) / denom;
                        }
                    }
                }
                // mean over the guide's channels, then softmax over the neighbours
                float max = Float.NEGATIVE_INFINITY;
                for (int n = 0; n < nb; n++) {
                    logits[o + n] /= gc;
                    max = Math.max(max, logits[o + n]);
                }
                double sum = 0;
                for (int n = 0; n < nb; n++) {
                    float e = (float) Math.exp(logits[o + n] - max);
                    logits[o + n] = e;
                    sum += e;
                }
                for (int n = 0; n < nb; n++) logits[o + n] = (float) (logits[o + n] / sum);
            }
        }
        return logits;
    }

    private static float unbiasedStd(float[] v) {
        double mean = 0;
        for (float x : v) mean += x;
        mean /= v.length;
        double ss = 0;
        for (float x : v) ss += (x - mean) * (x - mean);
        return (float) Math.sqrt(ss / (v.length - 1));
    }

    private static int clamp(int v, int n) {
        return v < 0 ? 0 : v >= n ? n - 1 : v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Pamr p && p.steps == steps && Arrays.equals(p.dilations, dilations);
    }

    @Override
    public int hashCode() {
        return 31 * steps + Arrays.hashCode(dilations);
    }

    @Override
    public String toString() {
        return "Pamr[steps=" + steps + ", dilations=" + Arrays.toString(dilations) + "]";
    }
}
