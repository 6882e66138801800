package dev.clipengine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code e^x} in float, built only from operations IEEE 754 defines exactly (multiply, add, fused multiply-add,
 * integer bit arithmetic), so the vector path and the scalar path give the same bits as each other and in every
 * JIT tier. The Vector API's own {@code lanewise(EXP)} does not: compiled code calls a SIMD math library while
 * interpreted and C1 code falls back to {@code Math.exp} per lane, so a softmax computed before and after
 * warm-up differed in the last bit, enough to flip a near-tie pixel between two runs of the same image.
 *
 * <p>Cephes-style: {@code x = k·ln2 + r} with {@code k} the nearest integer (two-part ln2, |r| ≤ ln2/2), a degree-6
 * Taylor polynomial for {@code e^r} (truncation error below 1.3e-7 relative), and {@code 2^k} assembled in the
 * exponent bits. About 2 ulp from the correctly rounded value. Below -87 the result is 0, above 88 it is +∞.
 */
final class Exp {

    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2^23: adding it rounds a float of magnitude below 2^22 to the nearest integer, kept in the low bits. */
    private static final float MAGIC = 12582912f;
    private static final int MAGIC_BITS = 0x4B400000;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720;
    static final float LO = -87f, HI = 88f;

    private Exp() {
    }

    static float exp(float x) {
        float t = x * LOG2E;
        float u = t + MAGIC;
        float k = u - MAGIC;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(C6, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(u) - MAGIC_BITS + 127) << 23);
        float e = p * scale;
        return x < LO ? 0f : x > HI ? Float.POSITIVE_INFINITY : e;
    }

    static FloatVector exp(FloatVector x) {
        FloatVector u = x.mul(LOG2E).add(MAGIC);
        FloatVector k = u.sub(MAGIC);
        FloatVector r = k.fma(FloatVector.broadcast(x.species(), -LN2_HI), x);
        r = k.fma(FloatVector.broadcast(x.species(), -LN2_LO), r);
        var s = x.species();
        FloatVector one = FloatVector.broadcast(s, 1f);
        FloatVector p = FloatVector.broadcast(s, C6).fma(r, FloatVector.broadcast(s, C5));
        p = p.fma(r, FloatVector.broadcast(s, C4));
        p = p.fma(r, FloatVector.broadcast(s, C3));
        p = p.fma(r, FloatVector.broadcast(s, C2));
        p = p.fma(r, one);
        p = p.fma(r, one);
        FloatVector scale = u.reinterpretAsInts().sub(MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = p.mul(scale);
        e = e.blend(0f, x.compare(VectorOperators.LT, LO));
        return e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, HI));
    }

    /** Sum of the lanes in lane order: {@code reduceLanes(ADD)} leaves the order (and so the rounding) to the JIT. */
    static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    static double sumLanes(jdk.incubator.vector.DoubleVector v) {
        double s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
