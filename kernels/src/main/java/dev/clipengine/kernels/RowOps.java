package dev.clipengine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Single-threaded, vectorized row and elementwise kernels; {@link CpuBackend} distributes rows over the pool. */
final class RowOps {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final float QUICK_GELU_ALPHA = 1.702f;

    private RowOps() {
    }

    /** LayerNorm of rows [from, to). Statistics in double (two passes: mean, then centred variance). */
    static void layerNorm(float[] x, int xOff, int ldx, int from, int to, int cols, float[] gamma, float[] beta,
                          float eps, float[] y, int yOff, int ldy) {
        for (int r = from; r < to; r++) {
            int xi = xOff + r * ldx;
            int yi = yOff + r * ldy;
            // Four partial sums break the floating-point add dependency chain.
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int c = 0;
            for (; c + 4 <= cols; c += 4) {
                s0 += x[xi + c];
                s1 += x[xi + c + 1];
                s2 += x[xi + c + 2];
                s3 += x[xi + c + 3];
            }
            for (; c < cols; c++) {
                s0 += x[xi + c];
            }
            double mean = (s0 + s1 + s2 + s3) / cols;
            double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
            c = 0;
            for (; c + 4 <= cols; c += 4) {
                double d0 = x[xi + c] - mean, d1 = x[xi + c + 1] - mean;
                double d2 = x[xi + c + 2] - mean, d3 = x[xi + c + 3] - mean;
                q0 += d0 * d0;
                q1 += d1 * d1;
                q2 += d2 * d2;
                q3 += d3 * d3;
            }
            for (; c < cols; c++) {
                double d = x[xi + c] - mean;
                q0 += d * d;
            }
            double variance = (q0 + q1 + q2 + q3) / cols;
            float meanF = (float) mean;
            float rstd = (float) (1.0 / Math.sqrt(variance + eps));
            // Normalizing in float is exact enough (one rounding per op) and vectorizes.
            FloatVector vMean = FloatVector.broadcast(S, meanF);
            FloatVector vRstd = FloatVector.broadcast(S, rstd);
            c = 0;
            for (; c < S.loopBound(cols); c += L) {
                FloatVector v = FloatVector.fromArray(S, x, xi + c).sub(vMean).mul(vRstd);
                v.fma(FloatVector.fromArray(S, gamma, c), FloatVector.fromArray(S, beta, c)).intoArray(y, yi + c);
            }
            for (; c < cols; c++) {
                y[yi + c] = (x[xi + c] - meanF) * rstd * gamma[c] + beta[c];
            }
        }
    }

    /** Softmax of rows [from, to) in place; row indices are relative to the start of the matrix for the mask. */
    static void softmax(float[] x, int off, int ld, int from, int to, int cols, boolean causal, int causalOffset) {
        for (int r = from; r < to; r++) {
            int base = off + r * ld;
            int kept = causal ? (int) Math.max(0, Math.min(cols, (long) r + causalOffset + 1)) : cols;
            // Masked (-inf) columns contribute exp(-inf) = 0 exactly.
            java.util.Arrays.fill(x, base + kept, base + cols, 0f);
            if (kept == 0) {
                continue; // every column masked: define the row as zeros rather than PyTorch's NaN
            }
            softmaxSpan(x, base, kept);
        }
    }

    private static void softmaxSpan(float[] x, int base, int len) {
        int bound = S.loopBound(len);
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int c = 0;
        for (; c < bound; c += L) {
            vmax = vmax.max(FloatVector.fromArray(S, x, base + c));
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; c < len; c++) {
            max = Math.max(max, x[base + c]);
        }
        FloatVector vm = FloatVector.broadcast(S, max);
        FloatVector vsum = FloatVector.zero(S);
        for (c = 0; c < bound; c += L) {
            FloatVector e = FloatVector.fromArray(S, x, base + c).sub(vm).lanewise(VectorOperators.EXP);
            e.intoArray(x, base + c);
            vsum = vsum.add(e);
        }
        // The tail in scalar code: a masked vector EXP is not intrinsified and falls back to a per-lane Java loop
        // that costs more than the whole vectorized row (attention rows of 197 or 442 always have a tail).
        float tailSum = 0f;
        for (; c < len; c++) {
            float e = (float) Math.exp(x[base + c] - max);
            x[base + c] = e;
            tailSum += e;
        }
        float inv = 1f / (vsum.reduceLanes(VectorOperators.ADD) + tailSum);
        for (c = 0; c < bound; c += L) {
            FloatVector.fromArray(S, x, base + c).mul(inv).intoArray(x, base + c);
        }
        for (; c < len; c++) {
            x[base + c] *= inv;
        }
    }

    /** QuickGELU in place: {@code v * sigmoid(1.702 v) = v / (1 + exp(-1.702 v))}. */
    static void quickGelu(float[] x, int off, int len) {
        int bound = S.loopBound(len);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            v.div(v.mul(-QUICK_GELU_ALPHA).lanewise(VectorOperators.EXP).add(1f)).intoArray(x, off + i);
        }
        for (; i < len; i++) {
            float v = x[off + i];
            x[off + i] = v / (1f + (float) Math.exp(-QUICK_GELU_ALPHA * v));
        }
    }

    /** {@code dst[i] += src[i]}. */
    static void add(float[] dst, int dOff, float[] src, int sOff, int len) {
        int bound = S.loopBound(len);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, dst, dOff + i).add(FloatVector.fromArray(S, src, sOff + i)).intoArray(dst, dOff + i);
        }
        for (; i < len; i++) {
            dst[dOff + i] += src[sOff + i];
        }
    }
}
