package dev.clipengine.kernels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fused attention head against a double-precision scalar oracle, and its invariants. */
class AttentionTest {

    private static CpuBackend backend;

    @BeforeAll
    static void start() {
        backend = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    /** softmax(scale·q·kᵀ)·v in double, row by row; causal keeps j <= i. */
    private static double[] oracle(int n, int dh, float scale, boolean causal, float[] qkv, int ld, int q, int k, int v) {
        double[] out = new double[n * dh];
        for (int i = 0; i < n; i++) {
            int kept = causal ? i + 1 : n;
            double[] s = new double[kept];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < kept; j++) {
                double dot = 0;
                for (int c = 0; c < dh; c++) dot += (double) qkv[i * ld + q + c] * qkv[j * ld + k + c];
                s[j] = scale * dot;
                max = Math.max(max, s[j]);
            }
            double sum = 0;
            for (int j = 0; j < kept; j++) {
                s[j] = Math.exp(s[j] - max);
                sum += s[j];
            }
            for (int j = 0; j < kept; j++) {
                for (int c = 0; c < dh; c++) out[i * dh + c] += s[j] / sum * qkv[j * ld + v + c];
            }
        }
        return out;
    }

    @Test
    void matchesTheOracleForEveryShapeOfTheTowersAndTheEdges() {
        Random rnd = new Random(11);
        // sequence lengths around the 4-row groups and 48-key panels; head widths: ViT-B/16's 64, narrower ones, one
        // with a tail that is not a whole vector
        for (int dh : new int[] {64, 32, 16, 80, 7}) {
            for (int n : new int[] {1, 2, 3, 5, 47, 48, 49, 77, 197}) {
                for (boolean causal : new boolean[] {false, true}) {
                    int heads = 2, d = heads * dh, ld = 3 * d + 5;   // padded rows: strides are honoured
                    float[] qkv = TestData.random(rnd, n * ld);
                    float scale = (float) (1 / Math.sqrt(dh));
                    int ldo = d + 3;
                    float[] out = new float[n * ldo];
                    java.util.Arrays.fill(out, 42f);
                    int head = 1;
                    int q = head * dh, k = d + head * dh, v = 2 * d + head * dh;
                    backend.attentionHead(n, dh, scale, causal, qkv, q, ld, qkv, k, ld, qkv, v, ld, out, head * dh, ldo, false);
                    double[] want = oracle(n, dh, scale, causal, qkv, ld, q, k, v);
                    for (int i = 0; i < n; i++) {
                        for (int c = 0; c < dh; c++) {
                            assertEquals(want[i * dh + c], out[i * ldo + head * dh + c], 2e-5,
                                    "n=" + n + " dh=" + dh + " causal=" + causal + " row " + i + " col " + c);
                        }
                        for (int c = 0; c < head * dh; c++) {
                            assertEquals(42f, out[i * ldo + c], "another head's columns are left alone");
                        }
                        for (int c = (head + 1) * dh; c < ldo; c++) {
                            assertEquals(42f, out[i * ldo + c], "columns past the head are left alone");
                        }
                    }
                }
            }
        }
    }

    @Test
    void accumulatingAddsTheHeadToWhatIsThere() {
        Random rnd = new Random(14);
        for (int dh : new int[] {64, 24}) {
            int n = 50, ld = 3 * dh;
            float[] qkv = TestData.random(rnd, n * ld);
            float[] before = TestData.random(rnd, n * dh);
            float[] out = before.clone();
            backend.attentionHead(n, dh, 0.2f, false, qkv, 0, ld, qkv, dh, ld, qkv, 2 * dh, ld, out, 0, dh, true);
            double[] want = oracle(n, dh, 0.2f, false, qkv, ld, 0, dh, 2 * dh);
            for (int i = 0; i < n * dh; i++) {
                assertEquals(before[i] + want[i], out[i], 3e-5, "dh=" + dh + " element " + i);
            }
        }
    }

    @Test
    void firstCausalRowIsItsOwnValue() {
        Random rnd = new Random(12);
        int n = 9, dh = 64, ld = 3 * dh;
        float[] qkv = TestData.random(rnd, n * ld);
        float[] out = new float[n * dh];
        backend.attentionHead(n, dh, 0.125f, true, qkv, 0, ld, qkv, dh, ld, qkv, 2 * dh, ld, out, 0, dh, false);
        for (int c = 0; c < dh; c++) {
            assertEquals(qkv[2 * dh + c], out[c], "a row that sees one key returns that key's value exactly");
        }
    }

    @Test
    void aRowGetsTheSameBitsWhateverSequenceItIsPartOf() {
        // Causal: row i of a long sequence sees exactly the keys of the prefix of length i+1, so it must equal the last
        // row of that prefix run alone, bit for bit (the text tower encodes prompts alone or batched).
        Random rnd = new Random(13);
        int n = 77, dh = 64, ld = 3 * dh;
        float[] qkv = TestData.random(rnd, n * ld);
        float[] full = new float[n * dh];
        backend.attentionHead(n, dh, 0.125f, true, qkv, 0, ld, qkv, dh, ld, qkv, 2 * dh, ld, full, 0, dh, false);
        for (int len : new int[] {1, 4, 5, 30, 48, 49, 76}) {
            float[] prefix = new float[len * dh];
            backend.attentionHead(len, dh, 0.125f, true, qkv, 0, ld, qkv, dh, ld, qkv, 2 * dh, ld, prefix, 0, dh, false);
            for (int i = 0; i < len; i++) {
                assertArrayEquals(java.util.Arrays.copyOfRange(full, i * dh, (i + 1) * dh),
                        java.util.Arrays.copyOfRange(prefix, i * dh, (i + 1) * dh), "row " + i + " of a prefix of " + len);
            }
        }
    }

    @Test
    void largeScoresDoNotOverflow() {
        int n = 6, dh = 16, ld = 3 * dh;
        float[] qkv = new float[n * ld];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < dh; c++) {
                qkv[i * ld + c] = 100f;            // q
                qkv[i * ld + dh + c] = 100f + i;   // k: the last key wins by a margin of 1600·dh
                qkv[i * ld + 2 * dh + c] = i;      // v
            }
        }
        float[] out = new float[n * dh];
        backend.attentionHead(n, dh, 1f, false, qkv, 0, ld, qkv, dh, ld, qkv, 2 * dh, ld, out, 0, dh, false);
        for (float x : out) {
            assertTrue(Float.isFinite(x));
            assertEquals(n - 1, x, 0f);
        }
    }

    @Test
    void rejectsOperandsThatDoNotFit() {
        float[] small = new float[10];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.attentionHead(4, 8, 1f, false, small, 0, 8, small, 0, 8, small, 0, 8, new float[32], 0, 8, false));
        assertTrue(e.getMessage().startsWith("q:"), e.getMessage());
    }
}
