package dev.clipengine.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Copies a block of the right-hand GEMM operand into the packed fp32 layout that {@link Gemm}'s micro-kernel reads,
 * widening F16/BF16 on the way. Packing is O(N·K) per block while the multiply is O(M·N·K), so this is where
 * format conversion and arbitrary strides are cheapest to handle.
 *
 * <p>Packed layout for output columns {@code [n0, n0+nCount)} and depth {@code [k0, k0+kCount)}: consecutive panels of
 * {@link Gemm#NR} columns; panel p occupies {@code NR*kCount} floats starting at {@code p*NR*kCount}, with element
 * (kk, j) at {@code kk*NR + j}. Columns past nCount are zero so the kernel can always compute full panels.
 */
abstract class PanelPacker {

    /** Packs logical operand element (k, n) for the given block into {@code dst}. */
    abstract void pack(int n0, int nCount, int k0, int kCount, float[] dst);

    /** Weights packed ahead of time: nothing to do per call, {@link Gemm} reads {@link PackedLinear#data()} in place. */
    static final class Prepacked extends PanelPacker {
        private final PackedLinear weights;

        Prepacked(PackedLinear weights) {
            this.weights = weights;
        }

        PackedLinear weights() {
            return weights;
        }

        @Override
        void pack(int n0, int nCount, int k0, int kCount, float[] dst) {
            throw new IllegalStateException("pre-packed weights are read in place");
        }
    }

    /** Linear layout: weight is N×K, output column n is weight row n. */
    static PanelPacker weightRowsAreOutputs(WeightMatrix w) {
        MemorySegment seg = w.data();
        long rowElems = w.cols();
        return switch (w.storage()) {
            case F32 -> new PanelPacker() {
                @Override
                void pack(int n0, int nCount, int k0, int kCount, float[] dst) {
                    forEachPanelColumn(n0, nCount, kCount, dst, (n, base) -> {
                        long src = ((long) n * rowElems + k0) * 4;
                        for (int kk = 0; kk < kCount; kk++) {
                            dst[base + kk * Gemm.NR] = seg.get(WeightMatrix.F32_LE, src + 4L * kk);
                        }
                    });
                }
            };
            case F16 -> new PanelPacker() {
                @Override
                void pack(int n0, int nCount, int k0, int kCount, float[] dst) {
                    forEachPanelColumn(n0, nCount, kCount, dst, (n, base) -> {
                        long src = ((long) n * rowElems + k0) * 2;
                        for (int kk = 0; kk < kCount; kk++) {
                            dst[base + kk * Gemm.NR] = Float.float16ToFloat(seg.get(WeightMatrix.I16_LE, src + 2L * kk));
                        }
                    });
                }
            };
            case BF16 -> new PanelPacker() {
                @Override
                void pack(int n0, int nCount, int k0, int kCount, float[] dst) {
                    forEachPanelColumn(n0, nCount, kCount, dst, (n, base) -> {
                        long src = ((long) n * rowElems + k0) * 2;
                        for (int kk = 0; kk < kCount; kk++) {
                            dst[base + kk * Gemm.NR] = WeightMatrix.bf16ToFloat(seg.get(WeightMatrix.I16_LE, src + 2L * kk));
                        }
                    });
                }
            };
        };
    }

    /** Projection layout: weight is K×N, output column n is weight column n. */
    static PanelPacker weightColumnsAreOutputs(WeightMatrix w) {
        MemorySegment seg = w.data();
        long rowElems = w.cols();
        Storage storage = w.storage();
        return new PanelPacker() {
            @Override
            void pack(int n0, int nCount, int k0, int kCount, float[] dst) {
                forEachPanelRow(n0, nCount, k0, kCount, dst, (k, n, width, base) -> {
                    long elem = (long) k * rowElems + n;
                    switch (storage) {
                        case F32 -> {
                            for (int j = 0; j < width; j++) {
                                dst[base + j] = seg.get(WeightMatrix.F32_LE, (elem + j) * 4);
                            }
                        }
                        case F16 -> {
                            for (int j = 0; j < width; j++) {
                                dst[base + j] = Float.float16ToFloat(seg.get(WeightMatrix.I16_LE, (elem + j) * 2));
                            }
                        }
                        case BF16 -> {
                            for (int j = 0; j < width; j++) {
                                dst[base + j] = WeightMatrix.bf16ToFloat(seg.get(WeightMatrix.I16_LE, (elem + j) * 2));
                            }
                        }
                    }
                });
            }
        };
    }

    /** Heap B[n×k] for C = A·Bᵀ: output column n is row n of B. */
    static PanelPacker heapRowsAreOutputs(float[] b, int bOff, int ldb) {
        return new PanelPacker() {
            @Override
            void pack(int n0, int nCount, int k0, int kCount, float[] dst) {
                forEachPanelColumn(n0, nCount, kCount, dst, (n, base) -> {
                    int src = bOff + n * ldb + k0;
                    for (int kk = 0; kk < kCount; kk++) {
                        dst[base + kk * Gemm.NR] = b[src + kk];
                    }
                });
            }
        };
    }

    /** Heap B[k×n] for C = A·B: output column n is column n of B, so each packed row is a contiguous copy. */
    static PanelPacker heapColumnsAreOutputs(float[] b, int bOff, int ldb) {
        return new PanelPacker() {
            @Override
            void pack(int n0, int nCount, int k0, int kCount, float[] dst) {
                forEachPanelRow(n0, nCount, k0, kCount, dst,
                        (k, n, width, base) -> System.arraycopy(b, bOff + k * ldb + n, dst, base, width));
            }
        };
    }

    private interface ColumnFiller {
        /** Fills packed column for operand column n; element kk goes to {@code dst[base + kk*NR]}. */
        void fill(int n, int base);
    }

    private interface RowFiller {
        /** Fills {@code width} packed entries for depth k, operand columns n.., at {@code dst[base..]}. */
        void fill(int k, int n, int width, int base);
    }

    /** Visits each real column of the block and zeroes the padding columns of the last panel. */
    private static void forEachPanelColumn(int n0, int nCount, int kCount, float[] dst, ColumnFiller filler) {
        for (int p = 0; p * Gemm.NR < nCount; p++) {
            int panelBase = p * Gemm.NR * kCount;
            int width = Math.min(Gemm.NR, nCount - p * Gemm.NR);
            for (int j = 0; j < width; j++) {
                filler.fill(n0 + p * Gemm.NR + j, panelBase + j);
            }
            zeroPadding(dst, panelBase, width, kCount);
        }
    }

    /** Visits each depth row of each panel and zeroes the padding columns of the last panel. */
    private static void forEachPanelRow(int n0, int nCount, int k0, int kCount, float[] dst, RowFiller filler) {
        for (int p = 0; p * Gemm.NR < nCount; p++) {
            int panelBase = p * Gemm.NR * kCount;
            int width = Math.min(Gemm.NR, nCount - p * Gemm.NR);
            for (int kk = 0; kk < kCount; kk++) {
                filler.fill(k0 + kk, n0 + p * Gemm.NR, width, panelBase + kk * Gemm.NR);
            }
            zeroPadding(dst, panelBase, width, kCount);
        }
    }

    private static void zeroPadding(float[] dst, int panelBase, int width, int kCount) {
        if (width == Gemm.NR) {
            return;
        }
        for (int kk = 0; kk < kCount; kk++) {
            int row = panelBase + kk * Gemm.NR;
            java.util.Arrays.fill(dst, row + width, row + Gemm.NR, 0f);
        }
    }
}
