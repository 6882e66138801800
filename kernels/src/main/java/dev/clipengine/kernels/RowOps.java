package dev.clipengine.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** Single-threaded, vectorized row and elementwise kernels; {@link CpuBackend} distributes rows over the pool. */
final class RowOps {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Doubles of the same total width as half a float vector, so one float vector widens into two of these. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, VectorShape.forBitSize(S.vectorBitSize()));
    private static final float QUICK_GELU_ALPHA = 1.702f;

    private RowOps() {
    }

    /** LayerNorm of rows [from, to). Statistics in double (two passes: mean, then centred variance). */
    static void layerNorm(float[] x, int xOff, int ldx, int from, int to, int cols, float[] gamma, float[] beta,
                          float eps, float[] y, int yOff, int ldy) {
        for (int r = from; r < to; r++) {
            int xi = xOff + r * ldx;
            int yi = yOff + r * ldy;
            // Statistics in double, 16 floats at a time widened into two double vectors (lanes are independent
            // partial sums, so the add chains do not serialize); the tail in scalar code.
            DoubleVector s0 = DoubleVector.zero(D), s1 = s0;
            int c = 0;
            int bound = S.loopBound(cols);
            for (; c < bound; c += L) {
                FloatVector v = FloatVector.fromArray(S, x, xi + c);
                s0 = s0.add((DoubleVector) v.convertShape(VectorOperators.F2D, D, 0));
                s1 = s1.add((DoubleVector) v.convertShape(VectorOperators.F2D, D, 1));
            }
            double sum = Exp.sumLanes(s0.add(s1));
            for (; c < cols; c++) {
                sum += x[xi + c];
            }
            double mean = sum / cols;
            DoubleVector vm = DoubleVector.broadcast(D, mean);
            DoubleVector q0 = DoubleVector.zero(D), q1 = q0;
            for (c = 0; c < bound; c += L) {
                FloatVector v = FloatVector.fromArray(S, x, xi + c);
                DoubleVector d0 = ((DoubleVector) v.convertShape(VectorOperators.F2D, D, 0)).sub(vm);
                DoubleVector d1 = ((DoubleVector) v.convertShape(VectorOperators.F2D, D, 1)).sub(vm);
                q0 = d0.fma(d0, q0);
                q1 = d1.fma(d1, q1);
            }
            double sq = Exp.sumLanes(q0.add(q1));
            for (; c < cols; c++) {
                double d = x[xi + c] - mean;
                sq += d * d;
            }
            double variance = sq / cols;
            float meanF = (float) mean;
            float rstd = (float) (1.0 / Math.sqrt(variance + eps));
            // Normalizing in float is exact enough (one rounding per op) and vectorizes.
            FloatVector vMean = FloatVector.broadcast(S, meanF);
            FloatVector vRstd = FloatVector.broadcast(S, rstd);
            for (c = 0; c < bound; c += L) {
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

    /** Softmax of {@code x[base, base+len)} in place (max-subtracted, deterministic exp and sum). */
    static void softmaxSpan(float[] x, int base, int len) {
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
            FloatVector e = Exp.exp(FloatVector.fromArray(S, x, base + c).sub(vm));
            e.intoArray(x, base + c);
            vsum = vsum.add(e);
        }
        // The tail in scalar code, with the same exp bit for bit (Exp is built from exact operations only).
        float tailSum = 0f;
        for (; c < len; c++) {
            float e = Exp.exp(x[base + c] - max);
            x[base + c] = e;
            tailSum += e;
        }
        float inv = 1f / (Exp.sumLanes(vsum) + tailSum);
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
            v.div(Exp.exp(v.mul(-QUICK_GELU_ALPHA)).add(1f)).intoArray(x, off + i);
        }
        for (; i < len; i++) {
            float v = x[off + i];
            x[off + i] = v / (1f + Exp.exp(-QUICK_GELU_ALPHA * v));
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
