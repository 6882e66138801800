package dev.clipengine.segment;

import dev.clipengine.model.VisionOutput;
import dev.clipengine.model.ZeroShot;

/**
 * The one patch-logits step of every method (docs/pipeline.md "Patch logits"): each patch token of the network's
 * output L2-normalized, then its cosine with every text row, times a scale, as {@code [rows × gh·gw]}, row-major.
 *
 * <p>The two reference families accumulate differently, and label maps must stay those of their references, so the
 * precision is a parameter rather than a choice made here: CLIPtrase's code normalizes and multiplies in float32
 * ({@link Precision#FLOAT}), the slide family's conformance goldens are matched by a float64 accumulation of the
 * same products ({@link Precision#DOUBLE}).
 */
public final class PatchLogits {

    /** How the dot products are accumulated. */
    public enum Precision {
        /** float32 sums (CLIPtrase, cliptrase.md §3.2). */
        FLOAT,
        /** float64 sums of float32 products, rounded once (the slide family). */
        DOUBLE
    }

    private PatchLogits() {
    }

    /** {@code scale · cos(patch p, text row r)} at {@code [r·n + p]}, the CLS token left out. */
    public static float[] of(VisionOutput out, float[][] text, Precision precision, float scale) {
        int n = out.gridH() * out.gridW(), e = out.embedDim(), rows = text.length;
        float[] tokens = out.tokens(), logits = new float[rows * n];
        for (int p = 0; p < n; p++) {
            float[] f = normalizedToken(tokens, 1 + p, e);
            for (int r = 0; r < rows; r++) logits[r * n + p] = scale * dot(f, text[r], precision);
        }
        return logits;
    }

    /** {@code scale · cos(CLS, text row r)} per row (CLIPtrase's optional class reweighting). */
    public static float[] cls(VisionOutput out, float[][] text, Precision precision, float scale) {
        float[] c = normalizedToken(out.tokens(), 0, out.embedDim());
        float[] w = new float[text.length];
        for (int r = 0; r < text.length; r++) w[r] = scale * dot(c, text[r], precision);
        return w;
    }

    /** The L2-normalized patch features {@code [gh·gw, embed]} (conformance checks of the dense features). */
    public static float[] normalizedPatches(VisionOutput out) {
        int n = out.gridH() * out.gridW(), e = out.embedDim();
        float[] f = new float[n * e];
        for (int p = 0; p < n; p++) System.arraycopy(normalizedToken(out.tokens(), 1 + p, e), 0, f, p * e, e);
        return f;
    }

    /** Token {@code t} over its norm (norm summed in float64, one float32 division per element). */
    private static float[] normalizedToken(float[] tokens, int t, int e) {
        return ZeroShot.normalized(java.util.Arrays.copyOfRange(tokens, t * e, (t + 1) * e));
    }

    private static float dot(float[] a, float[] b, Precision precision) {
        if (precision == Precision.FLOAT) {
            float s = 0;
            for (int i = 0; i < a.length; i++) s += a[i] * b[i];
            return s;
        }
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return (float) s;
    }
}
