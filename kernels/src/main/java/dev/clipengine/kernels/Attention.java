package dev.clipengine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention of one head, fused: {@code out = softmax(scale · Q·Kᵀ) · V}, row by row.
 *
 * <p>Done as two GEMMs with the {@code n×n} probabilities in between, attention reads and writes that matrix twice
 * (780 KB per head at 442 tokens, more than L1 and most of L2) and its {@code P·V} product has a 64-column output,
 * which the GEMM's 48-column panels cover with one full and one third-full panel. Here, for each group of
 * {@link #MR} query rows, the scores against every key go into an {@code MR×n} strip that stays in L1, are
 * softmaxed there and multiplied with V by a kernel exactly 64 columns wide (four vectors); K is packed once per
 * head into the GEMM's panel layout (the scores are the GEMM's own kernel) and V is copied contiguous. Only the rows
 * of one group are ever alive.
 *
 * <p>Every output row depends on its own query row only (no sum mixes rows), so a row gets the same bits in any group
 * and in any batch of sequences. Runs on the calling thread: callers spread heads or sequences over threads.
 */
final class Attention {

    private static final VectorSpecies<Float> S = Gemm.S;
    private static final int L = Gemm.L;
    private static final int NR = Gemm.NR;
    /** Query rows per group: the GEMM kernel's rows. */
    static final int MR = Gemm.MR;

    /**
     * Per-thread buffers, grown to the largest sequence seen: K in panels, V contiguous, one group's score strip, and
     * the query rows of a short last group.
     */
    private static final class Scratch {
        float[] keys = new float[0];
        float[] values = new float[0];
        float[] scores = new float[0];
        float[] shortGroup = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Attention() {
    }

    /**
     * {@code out[i] = Σ_j softmax_j(scale · q_i·k_j) v_j} for {@code i, j < n}; when {@code causal}, row i sees keys
     * {@code j <= i} only. Rows are {@code dh} wide and strided ({@code ldq}, {@code ldk}, {@code ldv}, {@code ldo}).
     * With {@code accumulate} the result is added to {@code out} instead of replacing it.
     */
    static void head(int n, int dh, float scale, boolean causal, float[] q, int qOff, int ldq, float[] k, int kOff,
                     int ldk, float[] v, int vOff, int ldv, float[] out, int outOff, int ldo, boolean accumulate) {
        if (n == 0) {
            return;
        }
        int panels = (n + NR - 1) / NR, lds = panels * NR;
        Scratch s = SCRATCH.get();
        if (s.keys.length < lds * dh) s.keys = new float[lds * dh];
        if (s.values.length < n * dh) s.values = new float[n * dh];
        if (s.scores.length < MR * lds) s.scores = new float[MR * lds];
        if (s.shortGroup.length < MR * dh) s.shortGroup = new float[MR * dh];
        float[] keys = s.keys, values = s.values, scores = s.scores;
        // K in the GEMM's panel layout, as for C = Q·Kᵀ: panel p, depth c, key j at p·NR·dh + c·NR + j, padding 0
        PanelPacker.heapRowsAreOutputs(k, kOff, ldk).pack(0, n, 0, dh, keys);
        // V rows made contiguous: every group streams all of V, and a sequential stream is what the prefetcher
        // follows best (strided rows of qkv are 9 KB apart).
        for (int j = 0; j < n; j++) {
            System.arraycopy(v, vOff + j * ldv, values, j * dh, dh);
        }

        for (int i0 = 0; i0 < n; i0 += MR) {
            int rows = Math.min(MR, n - i0);
            // The GEMM's 4×48 kernel makes the scores, scaled on the way out, from four equally strided query rows;
            // the last group, if short, is padded by repeating its last row (results of padding rows are not used).
            float[] qRows = q;
            int q0 = qOff + i0 * ldq, ldRows = ldq;
            if (rows < MR) {
                for (int r = 0; r < MR; r++) {
                    System.arraycopy(q, qOff + (i0 + Math.min(r, rows - 1)) * ldq, s.shortGroup, r * dh, dh);
                }
                qRows = s.shortGroup;
                q0 = 0;
                ldRows = dh;
            }
            // Keys any row of the group sees: all, or (causal) up to the group's last row.
            int span = causal ? i0 + rows : n;
            for (int p = 0, used = (span + NR - 1) / NR; p < used; p++) {
                Gemm.kernel4Store(qRows, q0, ldRows, keys, p * NR * dh, dh, scores, p * NR, lds, scale, true, null, 0);
            }
            for (int r = 0; r < rows; r++) {
                int kept = causal ? i0 + r + 1 : n;
                RowOps.softmaxSpan(scores, r * lds, kept);
                // Masked keys weigh exactly 0 (an additive -inf before the softmax).
                java.util.Arrays.fill(scores, r * lds + kept, r * lds + span, 0f);
            }
            int p1 = Math.min(1, rows - 1) * lds, p2 = Math.min(2, rows - 1) * lds, p3 = Math.min(3, rows - 1) * lds;
            int c0 = 0;
            for (; c0 + 4 * L <= dh; c0 += 4 * L) {
                valueTile(scores, 0, p1, p2, p3, span, values, c0, dh, out, outOff + i0 * ldo + c0, ldo, rows,
                        accumulate);
            }
            for (; c0 < dh; c0 += L) {
                valueVector(scores, 0, p1, p2, p3, span, values, c0, dh, out, outOff + i0 * ldo + c0, ldo, rows,
                        S.indexInRange(0, dh - c0), accumulate);
            }
        }
    }

    /**
     * Four rows of probabilities (strip rows at p0..p3) times V, four vectors of output columns: 16 accumulators, per
     * key one row of V (four loads) and four broadcasts. Stores the first {@code rows} rows.
     */
    private static void valueTile(float[] probs, int p0, int p1, int p2, int p3, int span, float[] v, int v0, int ldv,
                                  float[] out, int o0, int ldo, int rows, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int j = 0, vj = v0; j < span; j++, vj += ldv) {
            FloatVector b0 = FloatVector.fromArray(S, v, vj);
            FloatVector b1 = FloatVector.fromArray(S, v, vj + L);
            FloatVector b2 = FloatVector.fromArray(S, v, vj + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, v, vj + 3 * L);
            FloatVector x = FloatVector.broadcast(S, probs[p0 + j]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, probs[p1 + j]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, probs[p2 + j]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, probs[p3 + j]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
        }
        // Stores written out (no helper taking vectors: a non-inlined callee would box all sixteen).
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, out, o0));
            c01 = c01.add(FloatVector.fromArray(S, out, o0 + L));
            c02 = c02.add(FloatVector.fromArray(S, out, o0 + 2 * L));
            c03 = c03.add(FloatVector.fromArray(S, out, o0 + 3 * L));
        }
        c00.intoArray(out, o0);
        c01.intoArray(out, o0 + L);
        c02.intoArray(out, o0 + 2 * L);
        c03.intoArray(out, o0 + 3 * L);
        if (rows > 1) {
            int o = o0 + ldo;
            if (accumulate) {
                c10 = c10.add(FloatVector.fromArray(S, out, o));
                c11 = c11.add(FloatVector.fromArray(S, out, o + L));
                c12 = c12.add(FloatVector.fromArray(S, out, o + 2 * L));
                c13 = c13.add(FloatVector.fromArray(S, out, o + 3 * L));
            }
            c10.intoArray(out, o);
            c11.intoArray(out, o + L);
            c12.intoArray(out, o + 2 * L);
            c13.intoArray(out, o + 3 * L);
        }
        if (rows > 2) {
            int o = o0 + 2 * ldo;
            if (accumulate) {
                c20 = c20.add(FloatVector.fromArray(S, out, o));
                c21 = c21.add(FloatVector.fromArray(S, out, o + L));
                c22 = c22.add(FloatVector.fromArray(S, out, o + 2 * L));
                c23 = c23.add(FloatVector.fromArray(S, out, o + 3 * L));
            }
            c20.intoArray(out, o);
            c21.intoArray(out, o + L);
            c22.intoArray(out, o + 2 * L);
            c23.intoArray(out, o + 3 * L);
        }
        if (rows > 3) {
            int o = o0 + 3 * ldo;
            if (accumulate) {
                c30 = c30.add(FloatVector.fromArray(S, out, o));
                c31 = c31.add(FloatVector.fromArray(S, out, o + L));
                c32 = c32.add(FloatVector.fromArray(S, out, o + 2 * L));
                c33 = c33.add(FloatVector.fromArray(S, out, o + 3 * L));
            }
            c30.intoArray(out, o);
            c31.intoArray(out, o + L);
            c32.intoArray(out, o + 2 * L);
            c33.intoArray(out, o + 3 * L);
        }
    }

    /** {@link #valueTile} for the columns left after blocks of four vectors: one vector, the lanes of {@code m}. */
    private static void valueVector(float[] probs, int p0, int p1, int p2, int p3, int span, float[] v, int v0, int ldv,
                                    float[] out, int o0, int ldo, int rows, VectorMask<Float> m, boolean accumulate) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
        for (int j = 0, vj = v0; j < span; j++, vj += ldv) {
            FloatVector b = FloatVector.fromArray(S, v, vj, m);
            c0 = FloatVector.broadcast(S, probs[p0 + j]).fma(b, c0);
            c1 = FloatVector.broadcast(S, probs[p1 + j]).fma(b, c1);
            c2 = FloatVector.broadcast(S, probs[p2 + j]).fma(b, c2);
            c3 = FloatVector.broadcast(S, probs[p3 + j]).fma(b, c3);
        }
        if (accumulate) {
            c0 = c0.add(FloatVector.fromArray(S, out, o0, m));
            if (rows > 1) c1 = c1.add(FloatVector.fromArray(S, out, o0 + ldo, m));
            if (rows > 2) c2 = c2.add(FloatVector.fromArray(S, out, o0 + 2 * ldo, m));
            if (rows > 3) c3 = c3.add(FloatVector.fromArray(S, out, o0 + 3 * ldo, m));
        }
        c0.intoArray(out, o0, m);
        if (rows > 1) c1.intoArray(out, o0 + ldo, m);
        if (rows > 2) c2.intoArray(out, o0 + 2 * ldo, m);
        if (rows > 3) c3.intoArray(out, o0 + 3 * ldo, m);
    }
}
