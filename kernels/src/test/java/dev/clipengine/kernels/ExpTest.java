package dev.clipengine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The deterministic exp: close to Math.exp, and the vector path gives exactly the scalar path's bits. */
class ExpTest {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Test
    void closeToMathExpOverTheWholeRange() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (rnd.nextDouble() * 175 - 87);
            double want = Math.exp(x);
            float got = Exp.exp(x);
            assertTrue(Math.abs(got - want) <= 4e-7 * want, "exp(" + x + ") = " + got + ", Math.exp " + want);
        }
        assertEquals(1f, Exp.exp(0f));
        assertEquals(0f, Exp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, Exp.exp(-100f));
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(100f));
        assertTrue(Float.isNaN(Exp.exp(Float.NaN)));
    }

    @Test
    void vectorAndScalarGiveTheSameBits() {
        SplittableRandom rnd = new SplittableRandom(4);
        float[] x = new float[S.length() * 4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (i % 7) {
                case 0 -> (float) (rnd.nextDouble() * 400 - 200);           // beyond both ends
                case 1 -> Float.NEGATIVE_INFINITY;
                case 2 -> Float.NaN;
                default -> (float) (rnd.nextDouble() * 40 - 30);            // softmax-like arguments
            };
        }
        float[] v = new float[x.length];
        for (int i = 0; i < x.length; i += S.length()) Exp.exp(FloatVector.fromArray(S, x, i)).intoArray(v, i);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(Exp.exp(x[i])), Float.floatToRawIntBits(v[i]), "exp(" + x[i] + ")");
        }
    }

    @Test
    void lanesAreSummedInOrder() {
        float[] a = new float[S.length()];
        a[0] = 1e8f;
        for (int i = 1; i < a.length; i++) a[i] = 1f;
        float sequential = 0f;
        for (float f : a) sequential += f;
        assertEquals(sequential, Exp.sumLanes(FloatVector.fromArray(S, a, 0)));
    }
}
