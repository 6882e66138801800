package dev.clipengine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * fp32 GEMM {@code C = alpha · A · op(B) (+ bias)} with A and C on the heap and B supplied through a
 * {@link PanelPacker} (weights of any {@link Storage}, or heap arrays in either orientation).
 *
 * <p>Structure (a simplified BLIS/GotoBLAS scheme):
 * <ul>
 *   <li>The work is split into tasks of one {@link #NR}-column panel of C times a range of rows of A, claimed by
 *       the pool's threads; each task packs only its own panel, so nothing is packed twice unless rows are split.</li>
 *   <li>Depth is blocked by {@link #KC} so a packed panel ({@code NR*KC} floats) stays in L1 while every row group of
 *       A streams past it.</li>
 *   <li>The micro-kernel keeps a {@link #MR}×{@link #NR} tile of C in 12 vector registers: per depth step it
 *       broadcasts MR values of A, loads 3 vectors of B and issues 12 FMAs.</li>
 * </ul>
 */
final class Gemm {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Rows of C per micro-kernel call. */
    static final int MR = 4;
    /** Columns of C per micro-kernel call (and per packed panel): three vectors. */
    static final int NR = 3 * L;
    /** Depth block: a packed panel is NR*KC floats (24 KB with 16 lanes), comfortably inside L1. */
    static final int KC = 128;
    /** Below this many multiply-adds a single thread is faster than handing work to the pool. */
    private static final long SERIAL_MACS = 1L << 18;

    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[NR * KC]);

    private Gemm() {
    }

    /**
     * @param callerOnly run entirely on the calling thread (B lives in a thread-confined segment that pool threads
     *                   may not read)
     */
    static void run(WorkPool pool, int m, int n, int k, float alpha, float[] a, int aOff, int lda, PanelPacker b,
                    float[] bias, float[] c, int cOff, int ldc, boolean callerOnly) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k <= 0) {
            // Empty sum: C = bias (or 0).
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c[cOff + i * ldc + j] = bias == null ? 0f : bias[j];
                }
            }
            return;
        }
        int panels = (n + NR - 1) / NR;
        int rowGroups = (m + MR - 1) / MR;
        // Split rows only when there are too few panels to keep every thread busy; each row block repacks its panel.
        int wantedTasks = 4 * pool.threads();
        int rowBlocks = panels >= wantedTasks ? 1 : Math.min(Math.max(1, rowGroups / 8), (wantedTasks + panels - 1) / panels);
        int tasks = panels * rowBlocks;
        boolean serial = callerOnly || (long) m * n * k < SERIAL_MACS;
        pool.run(tasks, serial ? 1 : tasks, (from, to) -> {
            float[] packed = PANEL.get();
            for (int t = from; t < to; t++) {
                int panel = t % panels;
                int rowBlock = t / panels;
                int rowGroupFrom = (int) ((long) rowGroups * rowBlock / rowBlocks);
                int rowGroupTo = (int) ((long) rowGroups * (rowBlock + 1) / rowBlocks);
                int n0 = panel * NR;
                int width = Math.min(NR, n - n0);
                computePanel(rowGroupFrom * MR, Math.min(m, rowGroupTo * MR), n0, width, k, alpha, a, aOff, lda,
                        b, bias, c, cOff, ldc, packed);
            }
        });
    }

    /** C[rows iFrom..iTo, cols n0..n0+width) over the full depth, one KC block at a time. */
    private static void computePanel(int iFrom, int iTo, int n0, int width, int k, float alpha, float[] a, int aOff,
                                     int lda, PanelPacker b, float[] bias, float[] c, int cOff, int ldc, float[] packed) {
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = Math.min(KC, k - k0);
            b.pack(n0, width, k0, kc, packed);
            boolean first = k0 == 0;
            float[] addBias = first ? bias : null;
            int i = iFrom;
            for (; i + MR <= iTo; i += MR) {
                kernel4(a, aOff + i * lda + k0, lda, packed, kc, c, cOff + i * ldc + n0, ldc, width, alpha, first,
                        addBias, n0);
            }
            for (; i < iTo; i++) {
                kernel1(a, aOff + i * lda + k0, packed, kc, c, cOff + i * ldc + n0, width, alpha, first, addBias, n0);
            }
        }
    }

    /** 4 rows × NR columns; accumulators stay in registers for the whole depth block. */
    private static void kernel4(float[] a, int a0, int lda, float[] bp, int kc, float[] c, int c0, int ldc, int width,
                                float alpha, boolean overwrite, float[] bias, int biasOff) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00;
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int kk = 0, p = 0; kk < kc; kk++, p += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, p);
            FloatVector b1 = FloatVector.fromArray(S, bp, p + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, p + 2 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
        }
        storeRow(c00, c01, c02, c, c0, width, alpha, overwrite, bias, biasOff);
        storeRow(c10, c11, c12, c, c0 + ldc, width, alpha, overwrite, bias, biasOff);
        storeRow(c20, c21, c22, c, c0 + 2 * ldc, width, alpha, overwrite, bias, biasOff);
        storeRow(c30, c31, c32, c, c0 + 3 * ldc, width, alpha, overwrite, bias, biasOff);
    }

    /** One row × NR columns, for the rows left over after groups of {@link #MR}. */
    private static void kernel1(float[] a, int a0, float[] bp, int kc, float[] c, int c0, int width, float alpha,
                                boolean overwrite, float[] bias, int biasOff) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00;
        for (int kk = 0, p = 0; kk < kc; kk++, p += NR) {
            FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = x.fma(FloatVector.fromArray(S, bp, p), c00);
            c01 = x.fma(FloatVector.fromArray(S, bp, p + L), c01);
            c02 = x.fma(FloatVector.fromArray(S, bp, p + 2 * L), c02);
        }
        storeRow(c00, c01, c02, c, c0, width, alpha, overwrite, bias, biasOff);
    }

    /**
     * Writes one row of a tile: {@code C = alpha*acc (+ bias)} for the first depth block, {@code C += alpha*acc}
     * after. Only the first {@code width} columns are real; the rest of the panel is padding and is not stored.
     */
    private static void storeRow(FloatVector v0, FloatVector v1, FloatVector v2, float[] c, int c0, int width,
                                 float alpha, boolean overwrite, float[] bias, int biasOff) {
        if (width == NR) {
            storeVector(v0, c, c0, alpha, overwrite, bias, biasOff);
            storeVector(v1, c, c0 + L, alpha, overwrite, bias, biasOff + L);
            storeVector(v2, c, c0 + 2 * L, alpha, overwrite, bias, biasOff + 2 * L);
        } else {
            storeMasked(v0, 0, width, c, c0, alpha, overwrite, bias, biasOff);
            storeMasked(v1, L, width, c, c0 + L, alpha, overwrite, bias, biasOff + L);
            storeMasked(v2, 2 * L, width, c, c0 + 2 * L, alpha, overwrite, bias, biasOff + 2 * L);
        }
    }

    private static void storeVector(FloatVector v, float[] c, int ci, float alpha, boolean overwrite, float[] bias,
                                    int bi) {
        v = v.mul(alpha);
        if (overwrite) {
            if (bias != null) {
                v = v.add(FloatVector.fromArray(S, bias, bi));
            }
        } else {
            v = v.add(FloatVector.fromArray(S, c, ci));
        }
        v.intoArray(c, ci);
    }

    private static void storeMasked(FloatVector v, int lane0, int width, float[] c, int ci, float alpha,
                                    boolean overwrite, float[] bias, int bi) {
        if (lane0 >= width) {
            return;
        }
        VectorMask<Float> m = S.indexInRange(lane0, width);
        v = v.mul(alpha);
        if (overwrite) {
            if (bias != null) {
                v = v.add(FloatVector.fromArray(S, bias, bi, m));
            }
        } else {
            v = v.add(FloatVector.fromArray(S, c, ci, m));
        }
        v.intoArray(c, ci, m);
    }

    /** Validates that a strided heap matrix {@code rows×cols} at {@code off} with row stride {@code ld} fits. */
    static void checkHeap(String name, float[] arr, int off, int ld, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException(name + ": negative size " + rows + "x" + cols);
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        if (off < 0 || (rows > 1 && ld < cols)) {
            throw new IllegalArgumentException(name + ": offset " + off + " / leading dimension " + ld
                    + " invalid for " + rows + "x" + cols);
        }
        long last = (long) off + (long) (rows - 1) * ld + cols;
        if (last > arr.length) {
            throw new IllegalArgumentException(name + ": " + rows + "x" + cols + " at offset " + off + " with stride "
                    + ld + " needs " + last + " elements, array has " + arr.length);
        }
    }
}
