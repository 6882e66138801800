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
 *   <li>Depth is blocked by at most {@link #KC} ({@link #depthStep}) so a packed panel ({@code NR*KC} floats) stays
 *       in L2 while every row group of A streams past it.</li>
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
    /**
     * Longest depth block: a packed panel is at most NR*KC floats (144 KB with 16 lanes), an L2-resident block.
     * Every depth block costs a read-modify-write of the C tile and restarts the hardware's stream of the panel from
     * memory; with 128 (a 24 KB panel in L1, the textbook choice) that overhead cost ViT-B/16's encoder 10-15 %
     * against 768, which reads each width-768 layer's panel in one pass (docs/performance.md "Depth blocks").
     */
    static final int KC = 768;
    /** Below this many multiply-adds a single thread is faster than handing work to the pool. */
    private static final long SERIAL_MACS = 1L << 18;

    /** Per-thread buffers: one packed panel of B and one MR×NR result tile. */
    private record Scratch(float[] panel, float[] tile) {
    }

    private static final ThreadLocal<Scratch> SCRATCH =
            ThreadLocal.withInitial(() -> new Scratch(new float[NR * KC], new float[MR * NR]));

    private Gemm() {
    }

    /**
     * @param callerOnly run entirely on the calling thread (B lives in a thread-confined segment that pool threads
     *                   may not read)
     */
    static void run(WorkPool pool, int m, int n, int k, float alpha, float[] a, int aOff, int lda, PanelPacker b,
                    float[] bias, float[] c, int cOff, int ldc, boolean callerOnly) {
        run(pool, m, n, k, alpha, a, aOff, lda, b, bias, c, cOff, ldc, callerOnly, Epilogue.STORE);
    }

    static void run(WorkPool pool, int m, int n, int k, float alpha, float[] a, int aOff, int lda, PanelPacker b,
                    float[] bias, float[] c, int cOff, int ldc, boolean callerOnly, Epilogue epilogue) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k <= 0) {
            // Empty sum: the product is 0, what remains is bias and epilogue.
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    float v = bias == null ? 0f : bias[j];
                    c[ci + j] = epilogue == Epilogue.ACCUMULATE ? c[ci + j] + v : v;
                }
                if (epilogue == Epilogue.QUICK_GELU) {
                    RowOps.quickGelu(c, ci, n);
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
            Scratch scratch = SCRATCH.get();
            for (int t = from; t < to; t++) {
                int panel = t % panels;
                int rowBlock = t / panels;
                int rowGroupFrom = (int) ((long) rowGroups * rowBlock / rowBlocks);
                int rowGroupTo = (int) ((long) rowGroups * (rowBlock + 1) / rowBlocks);
                int n0 = panel * NR;
                int width = Math.min(NR, n - n0);
                computePanel(rowGroupFrom * MR, Math.min(m, rowGroupTo * MR), n0, width, k, alpha, a, aOff, lda,
                        b, bias, c, cOff, ldc, scratch.panel(), scratch.tile(), epilogue);
            }
        });
    }

    /**
     * The depth of the blocks a depth of {@code k} is cut into: as few blocks as {@link #KC} allows, of equal size
     * (3072 → 4 × 768, 1024 → 2 × 512, rather than 768 + 256), the last one possibly shorter.
     */
    static int depthStep(int k) {
        int blocks = (k + KC - 1) / KC;
        return (k + blocks - 1) / blocks;
    }

    /** C[rows iFrom..iTo, cols n0..n0+width) over the full depth, one depth block at a time. */
    private static void computePanel(int iFrom, int iTo, int n0, int width, int k, float alpha, float[] a, int aOff,
                                     int lda, PanelPacker b, float[] bias, float[] c, int cOff, int ldc, float[] packed,
                                     float[] tile, Epilogue epilogue) {
        // Pre-packed weights are read in place; anything else is packed one depth block at a time into scratch.
        PackedLinear prepacked = b instanceof PanelPacker.Prepacked pp ? pp.weights() : null;
        float[] bp = prepacked != null ? prepacked.data() : packed;
        int step = depthStep(k);
        for (int k0 = 0; k0 < k; k0 += step) {
            int kc = Math.min(step, k - k0);
            int p0;
            if (prepacked != null) {
                p0 = prepacked.offset(n0, k0);
            } else {
                b.pack(n0, width, k0, kc, packed);
                p0 = 0;
            }
            boolean first = k0 == 0;
            boolean gelu = epilogue == Epilogue.QUICK_GELU && k0 + kc >= k;
            // C is read back after the first depth block, or from the start when the product is added to it.
            boolean overwrite = first && epilogue != Epilogue.ACCUMULATE;
            float[] addBias = first ? bias : null;
            int i = iFrom;
            if (width == NR) {
                // Full panels (all but the last): the kernel updates C straight from its registers.
                for (; i + MR <= iTo; i += MR) {
                    kernel4Store(a, aOff + i * lda + k0, lda, bp, p0, kc, c, cOff + i * ldc + n0, ldc, alpha, overwrite,
                            addBias, n0);
                    if (gelu) {
                        geluRows(c, cOff + i * ldc + n0, ldc, MR, width);
                    }
                }
                // The rows left over (442 tokens = 110 groups of four + 2): two, then one, also stored from
                // registers. Through kernel1 and the tile they cost 1.8 % of the 336 px encoder for 0.5 % of its rows.
                if (i + 2 <= iTo) {
                    kernel2Store(a, aOff + i * lda + k0, lda, bp, p0, kc, c, cOff + i * ldc + n0, ldc, alpha, overwrite,
                            addBias, n0);
                    if (gelu) {
                        geluRows(c, cOff + i * ldc + n0, ldc, 2, width);
                    }
                    i += 2;
                }
                if (i < iTo) {
                    kernel1Store(a, aOff + i * lda + k0, bp, p0, kc, c, cOff + i * ldc + n0, alpha, overwrite, addBias, n0);
                    if (gelu) {
                        geluRows(c, cOff + i * ldc + n0, ldc, 1, width);
                    }
                    i++;
                }
            }
            if (width <= 2 * L) {
                // Narrow last panels (the 16 columns left of a 64-wide attention head, the 10 of 442 tokens): a
                // kernel as wide as the real columns, instead of computing a full panel of padding.
                for (; i + MR <= iTo; i += MR) {
                    kernelNarrow(a, aOff + i * lda + k0, lda, bp, p0, kc, c, cOff + i * ldc + n0, ldc, width, alpha,
                            overwrite, addBias, n0);
                    if (gelu) {
                        geluRows(c, cOff + i * ldc + n0, ldc, MR, width);
                    }
                }
            }
            for (; i + MR <= iTo; i += MR) {
                kernel4(a, aOff + i * lda + k0, lda, bp, p0, kc, tile);
                storeTile(tile, MR, c, cOff + i * ldc + n0, ldc, width, alpha, overwrite, addBias, n0);
                if (gelu) {
                    geluRows(c, cOff + i * ldc + n0, ldc, MR, width);
                }
            }
            for (; i < iTo; i++) {
                kernel1(a, aOff + i * lda + k0, bp, p0, kc, tile);
                storeTile(tile, 1, c, cOff + i * ldc + n0, ldc, width, alpha, overwrite, addBias, n0);
                if (gelu) {
                    geluRows(c, cOff + i * ldc + n0, ldc, 1, width);
                }
            }
        }
    }

    /** QuickGELU on a freshly finished tile, while it is still in L1. */
    private static void geluRows(float[] c, int c0, int ldc, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            RowOps.quickGelu(c, c0 + r * ldc, width);
        }
    }

    /**
     * 4 rows × NR columns; accumulators stay in registers for the whole depth block and are then written to
     * {@code tile} (MR×NR). Handing the tile over through memory rather than as vector arguments matters: a
     * non-inlined callee taking FloatVector parameters makes C2 allocate boxed vectors on every call.
     */
    private static void kernel4(float[] a, int a0, int lda, float[] bp, int p0, int kc, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00;
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int kk = 0, p = p0; kk < kc; kk++, p += NR) {
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
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c02.intoArray(tile, 2 * L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c12.intoArray(tile, NR + 2 * L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c22.intoArray(tile, 2 * NR + 2 * L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c32.intoArray(tile, 3 * NR + 2 * L);
    }

    /**
     * {@link #kernel4} for a full-width panel, with the store fused: {@code C = alpha*acc (+ bias) (+ C unless
     * overwrite)}. Doing the update here, on the accumulators still in registers, saves
     * the round trip through the tile buffer and the masked stores that partial panels need (a fifth of the GEMM time
     * otherwise, since C is revisited once per depth block).
     */
    static void kernel4Store(float[] a, int a0, int lda, float[] bp, int p0, int kc, float[] c, int c0, int ldc,
                                     float alpha, boolean overwrite, float[] bias, int biasOff) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00;
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int kk = 0, p = p0; kk < kc; kk++, p += NR) {
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
        if (alpha != 1f) {
            c00 = c00.mul(alpha); c01 = c01.mul(alpha); c02 = c02.mul(alpha);
            c10 = c10.mul(alpha); c11 = c11.mul(alpha); c12 = c12.mul(alpha);
            c20 = c20.mul(alpha); c21 = c21.mul(alpha); c22 = c22.mul(alpha);
            c30 = c30.mul(alpha); c31 = c31.mul(alpha); c32 = c32.mul(alpha);
        }
        int r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        if (bias != null) {
            FloatVector d0 = FloatVector.fromArray(S, bias, biasOff);
            FloatVector d1 = FloatVector.fromArray(S, bias, biasOff + L);
            FloatVector d2 = FloatVector.fromArray(S, bias, biasOff + 2 * L);
            c00 = c00.add(d0); c01 = c01.add(d1); c02 = c02.add(d2);
            c10 = c10.add(d0); c11 = c11.add(d1); c12 = c12.add(d2);
            c20 = c20.add(d0); c21 = c21.add(d1); c22 = c22.add(d2);
            c30 = c30.add(d0); c31 = c31.add(d1); c32 = c32.add(d2);
        }
        if (!overwrite) {
            c00 = c00.add(FloatVector.fromArray(S, c, c0));
            c01 = c01.add(FloatVector.fromArray(S, c, c0 + L));
            c02 = c02.add(FloatVector.fromArray(S, c, c0 + 2 * L));
            c10 = c10.add(FloatVector.fromArray(S, c, r1));
            c11 = c11.add(FloatVector.fromArray(S, c, r1 + L));
            c12 = c12.add(FloatVector.fromArray(S, c, r1 + 2 * L));
            c20 = c20.add(FloatVector.fromArray(S, c, r2));
            c21 = c21.add(FloatVector.fromArray(S, c, r2 + L));
            c22 = c22.add(FloatVector.fromArray(S, c, r2 + 2 * L));
            c30 = c30.add(FloatVector.fromArray(S, c, r3));
            c31 = c31.add(FloatVector.fromArray(S, c, r3 + L));
            c32 = c32.add(FloatVector.fromArray(S, c, r3 + 2 * L));
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c02.intoArray(c, c0 + 2 * L);
        c10.intoArray(c, r1);
        c11.intoArray(c, r1 + L);
        c12.intoArray(c, r1 + 2 * L);
        c20.intoArray(c, r2);
        c21.intoArray(c, r2 + L);
        c22.intoArray(c, r2 + 2 * L);
        c30.intoArray(c, r3);
        c31.intoArray(c, r3 + L);
        c32.intoArray(c, r3 + 2 * L);
    }

    /** {@link #kernel4Store} for two rows (six accumulators). Same FMA chain per output, so the same bits. */
    static void kernel2Store(float[] a, int a0, int lda, float[] bp, int p0, int kc, float[] c, int c0, int ldc,
                             float alpha, boolean overwrite, float[] bias, int biasOff) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00;
        int a1 = a0 + lda;
        for (int kk = 0, p = p0; kk < kc; kk++, p += NR) {
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
        }
        if (alpha != 1f) {
            c00 = c00.mul(alpha); c01 = c01.mul(alpha); c02 = c02.mul(alpha);
            c10 = c10.mul(alpha); c11 = c11.mul(alpha); c12 = c12.mul(alpha);
        }
        int r1 = c0 + ldc;
        if (bias != null) {
            FloatVector d0 = FloatVector.fromArray(S, bias, biasOff);
            FloatVector d1 = FloatVector.fromArray(S, bias, biasOff + L);
            FloatVector d2 = FloatVector.fromArray(S, bias, biasOff + 2 * L);
            c00 = c00.add(d0); c01 = c01.add(d1); c02 = c02.add(d2);
            c10 = c10.add(d0); c11 = c11.add(d1); c12 = c12.add(d2);
        }
        if (!overwrite) {
            c00 = c00.add(FloatVector.fromArray(S, c, c0));
            c01 = c01.add(FloatVector.fromArray(S, c, c0 + L));
            c02 = c02.add(FloatVector.fromArray(S, c, c0 + 2 * L));
            c10 = c10.add(FloatVector.fromArray(S, c, r1));
            c11 = c11.add(FloatVector.fromArray(S, c, r1 + L));
            c12 = c12.add(FloatVector.fromArray(S, c, r1 + 2 * L));
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c02.intoArray(c, c0 + 2 * L);
        c10.intoArray(c, r1);
        c11.intoArray(c, r1 + L);
        c12.intoArray(c, r1 + 2 * L);
    }

    /** {@link #kernel4Store} for one row. Same FMA chain per output, so the same bits. */
    static void kernel1Store(float[] a, int a0, float[] bp, int p0, int kc, float[] c, int c0, float alpha,
                             boolean overwrite, float[] bias, int biasOff) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00;
        for (int kk = 0, p = p0; kk < kc; kk++, p += NR) {
            FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = x.fma(FloatVector.fromArray(S, bp, p), c00);
            c01 = x.fma(FloatVector.fromArray(S, bp, p + L), c01);
            c02 = x.fma(FloatVector.fromArray(S, bp, p + 2 * L), c02);
        }
        if (alpha != 1f) {
            c00 = c00.mul(alpha); c01 = c01.mul(alpha); c02 = c02.mul(alpha);
        }
        if (bias != null) {
            c00 = c00.add(FloatVector.fromArray(S, bias, biasOff));
            c01 = c01.add(FloatVector.fromArray(S, bias, biasOff + L));
            c02 = c02.add(FloatVector.fromArray(S, bias, biasOff + 2 * L));
        }
        if (!overwrite) {
            c00 = c00.add(FloatVector.fromArray(S, c, c0));
            c01 = c01.add(FloatVector.fromArray(S, c, c0 + L));
            c02 = c02.add(FloatVector.fromArray(S, c, c0 + 2 * L));
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c02.intoArray(c, c0 + 2 * L);
    }

    /**
     * 4 rows × at most two vectors of columns ({@code width <= 2L}), C updated in place with masked loads and stores.
     * Each output keeps one FMA chain in depth order, exactly like {@link #kernel4} and {@link #kernel1}, so an element
     * gets the same bits whichever kernel computes it (a prompt encoded alone or in a batch gives the same feature).
     * With one vector that leaves four chains, half the FMA throughput, still three times better than a full panel of
     * which two thirds are padding.
     */
    private static void kernelNarrow(float[] a, int a0, int lda, float[] bp, int p0, int kc, float[] c, int c0, int ldc,
                                     int width, float alpha, boolean overwrite, float[] bias, int biasOff) {
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        FloatVector r0 = FloatVector.zero(S), r1 = r0, r2 = r0, r3 = r0;   // first vector of columns
        FloatVector s0 = r0, s1 = r0, s2 = r0, s3 = r0;                    // second vector of columns
        if (width <= L) {
            for (int kk = 0, p = p0; kk < kc; kk++, p += NR) {
                FloatVector b0 = FloatVector.fromArray(S, bp, p);
                r0 = FloatVector.broadcast(S, a[a0 + kk]).fma(b0, r0);
                r1 = FloatVector.broadcast(S, a[a1 + kk]).fma(b0, r1);
                r2 = FloatVector.broadcast(S, a[a2 + kk]).fma(b0, r2);
                r3 = FloatVector.broadcast(S, a[a3 + kk]).fma(b0, r3);
            }
            VectorMask<Float> m = S.indexInRange(0, width);
            storeNarrow(r0, c, c0, m, alpha, overwrite, bias, biasOff);
            storeNarrow(r1, c, c0 + ldc, m, alpha, overwrite, bias, biasOff);
            storeNarrow(r2, c, c0 + 2 * ldc, m, alpha, overwrite, bias, biasOff);
            storeNarrow(r3, c, c0 + 3 * ldc, m, alpha, overwrite, bias, biasOff);
        } else {
            for (int kk = 0, p = p0; kk < kc; kk++, p += NR) {
                FloatVector b0 = FloatVector.fromArray(S, bp, p);
                FloatVector b1 = FloatVector.fromArray(S, bp, p + L);
                FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
                r0 = x.fma(b0, r0);
                s0 = x.fma(b1, s0);
                x = FloatVector.broadcast(S, a[a1 + kk]);
                r1 = x.fma(b0, r1);
                s1 = x.fma(b1, s1);
                x = FloatVector.broadcast(S, a[a2 + kk]);
                r2 = x.fma(b0, r2);
                s2 = x.fma(b1, s2);
                x = FloatVector.broadcast(S, a[a3 + kk]);
                r3 = x.fma(b0, r3);
                s3 = x.fma(b1, s3);
            }
            VectorMask<Float> all = S.maskAll(true), m = S.indexInRange(L, width);
            storeNarrow(r0, c, c0, all, alpha, overwrite, bias, biasOff);
            storeNarrow(s0, c, c0 + L, m, alpha, overwrite, bias, biasOff + L);
            storeNarrow(r1, c, c0 + ldc, all, alpha, overwrite, bias, biasOff);
            storeNarrow(s1, c, c0 + ldc + L, m, alpha, overwrite, bias, biasOff + L);
            storeNarrow(r2, c, c0 + 2 * ldc, all, alpha, overwrite, bias, biasOff);
            storeNarrow(s2, c, c0 + 2 * ldc + L, m, alpha, overwrite, bias, biasOff + L);
            storeNarrow(r3, c, c0 + 3 * ldc, all, alpha, overwrite, bias, biasOff);
            storeNarrow(s3, c, c0 + 3 * ldc + L, m, alpha, overwrite, bias, biasOff + L);
        }
    }

    /** {@code C = alpha*acc (+ bias) (+ C unless overwrite)} on the lanes of {@code m}. Inlined into its caller. */
    private static void storeNarrow(FloatVector acc, float[] c, int ci, VectorMask<Float> m, float alpha,
                                    boolean overwrite, float[] bias, int biasOff) {
        FloatVector v = acc.mul(alpha);
        if (bias != null) {
            v = v.add(FloatVector.fromArray(S, bias, biasOff, m));
        }
        if (!overwrite) {
            v = v.add(FloatVector.fromArray(S, c, ci, m));
        }
        v.intoArray(c, ci, m);
    }

    /** One row × NR columns, for the rows left over after groups of {@link #MR}. */
    private static void kernel1(float[] a, int a0, float[] bp, int p0, int kc, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00;
        for (int kk = 0, p = p0; kk < kc; kk++, p += NR) {
            FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = x.fma(FloatVector.fromArray(S, bp, p), c00);
            c01 = x.fma(FloatVector.fromArray(S, bp, p + L), c01);
            c02 = x.fma(FloatVector.fromArray(S, bp, p + 2 * L), c02);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c02.intoArray(tile, 2 * L);
    }

    /**
     * Writes {@code rows} rows of a tile into C: {@code C = alpha*tile (+ bias) (+ C unless overwrite)}; bias is
     * given for the first depth block only, and C is kept after it or when the product is accumulated. Only the first {@code width} columns are real; the rest of the panel is padding.
     */
    private static void storeTile(float[] tile, int rows, float[] c, int c0, int ldc, int width, float alpha,
                                  boolean overwrite, float[] bias, int biasOff) {
        for (int r = 0; r < rows; r++) {
            int ci = c0 + r * ldc;
            int ti = r * NR;
            for (int j = 0; j < width; j += L) {
                VectorMask<Float> m = S.indexInRange(j, width);
                FloatVector v = FloatVector.fromArray(S, tile, ti + j).mul(alpha);
                if (bias != null) {
                    v = v.add(FloatVector.fromArray(S, bias, biasOff + j, m));
                }
                if (!overwrite) {
                    v = v.add(FloatVector.fromArray(S, c, ci + j, m));
                }
                v.intoArray(c, ci + j, m);
            }
        }
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
