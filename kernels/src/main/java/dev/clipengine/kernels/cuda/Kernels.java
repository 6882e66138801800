package dev.clipengine.kernels.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Typed launches of the kernels in {@code clip_kernels.cu}: argument order and launch shape in one place. Device
 * pointers are {@link MemorySegment}s already offset to the first element (see {@link DeviceMemory#at}).
 *
 * <p>Launch shapes follow the kernels' assumptions: row kernels one block of {@link #ROW_THREADS} per row;
 * elementwise kernels a grid-stride loop of at most {@link #MAX_BLOCKS} blocks; DBSCAN kernels blocks of 256 (a
 * multiple of 32, which their {@code __ballot_sync} word packing needs).
 */
public final class Kernels {

    /** Must equal ROW_THREADS in clip_kernels.cu (the shared scratch of the block reductions is sized by it). */
    public static final int ROW_THREADS = 256;
    static final int ELEMENTWISE_THREADS = 256;
    /** Enough blocks to fill any current GPU several times over; the kernels loop over the rest. */
    static final int MAX_BLOCKS = 65_535;
    static final int DBSCAN_THREADS = 256;
    /** Must equal MEDIAN_MAX_K in clip_kernels.cu (size of the per-thread window array). */
    public static final int MEDIAN_MAX_K = 15;

    private final Launcher launcher;

    public Kernels(Launcher launcher) {
        this.launcher = launcher;
    }

    static Launcher.Dim3 elementwiseGrid(long n) {
        long blocks = (n + ELEMENTWISE_THREADS - 1) / ELEMENTWISE_THREADS;
        return Launcher.Dim3.of((int) Math.max(1, Math.min(MAX_BLOCKS, blocks)));
    }

    static Launcher.Dim3 perPointGrid(int n, int threads) {
        return Launcher.Dim3.of(Math.max(1, (n + threads - 1) / threads));
    }

    private static void checkRows(int rows) {
        if (rows <= 0 || rows > Integer.MAX_VALUE) throw new IllegalArgumentException("rows must be positive: " + rows);
    }

    public void layerNorm(MemorySegment x, int ldx, MemorySegment y, int ldy, MemorySegment gamma, MemorySegment beta,
                          int rows, int cols, float eps) {
        checkRows(rows);
        launcher.launch("layer_norm_f32", Launcher.Dim3.of(rows), Launcher.Dim3.of(ROW_THREADS), 0,
                new KernelArgs().ptr(x).i32(ldx).ptr(y).i32(ldy).ptr(gamma).ptr(beta).i32(rows).i32(cols).f32(eps));
    }

    public void softmaxRows(MemorySegment x, int ld, int rows, int cols, boolean causal, int causalOffset,
                            int rowsPerMatrix) {
        checkRows(rows);
        if (rowsPerMatrix <= 0) throw new IllegalArgumentException("rowsPerMatrix must be positive: " + rowsPerMatrix);
        launcher.launch("softmax_rows_f32", Launcher.Dim3.of(rows), Launcher.Dim3.of(ROW_THREADS), 0,
                new KernelArgs().ptr(x).i32(ld).i32(rows).i32(cols).i32(causal ? 1 : 0).i32(causalOffset)
                        .i32(rowsPerMatrix));
    }

    public void quickGelu(MemorySegment x, long n) {
        launcher.launch("quick_gelu_f32", elementwiseGrid(n), Launcher.Dim3.of(ELEMENTWISE_THREADS), 0,
                new KernelArgs().ptr(x).i64(n));
    }

    public void add(MemorySegment dst, MemorySegment src, long n) {
        launcher.launch("add_f32", elementwiseGrid(n), Launcher.Dim3.of(ELEMENTWISE_THREADS), 0,
                new KernelArgs().ptr(dst).ptr(src).i64(n));
    }

    public void biasAdd(MemorySegment x, int ld, MemorySegment bias, int rows, int cols) {
        launcher.launch("bias_add_f32", elementwiseGrid((long) rows * cols), Launcher.Dim3.of(ELEMENTWISE_THREADS), 0,
                new KernelArgs().ptr(x).i32(ld).ptr(bias).i32(rows).i32(cols));
    }

    public void biasQuickGelu(MemorySegment x, int ld, MemorySegment bias, int rows, int cols) {
        launcher.launch("bias_quick_gelu_f32", elementwiseGrid((long) rows * cols),
                Launcher.Dim3.of(ELEMENTWISE_THREADS), 0, new KernelArgs().ptr(x).i32(ld).ptr(bias).i32(rows).i32(cols));
    }

    public void copyRows(MemorySegment src, int lds, MemorySegment dst, int ldd, int rows, int cols) {
        launcher.launch("copy_rows_f32", elementwiseGrid((long) rows * cols), Launcher.Dim3.of(ELEMENTWISE_THREADS), 0,
                new KernelArgs().ptr(src).i32(lds).ptr(dst).i32(ldd).i32(rows).i32(cols));
    }

    public void f32ToBf16(MemorySegment src, MemorySegment dst, long n) {
        launcher.launch("f32_to_bf16", elementwiseGrid(n), Launcher.Dim3.of(ELEMENTWISE_THREADS), 0,
                new KernelArgs().ptr(src).ptr(dst).i64(n));
    }

    public void cosineNormalize(MemorySegment gram, int batch, int n, float scale, MemorySegment out) {
        launcher.launch("cosine_normalize_f32", elementwiseGrid((long) n * n), Launcher.Dim3.of(ELEMENTWISE_THREADS), 0,
                new KernelArgs().ptr(gram).i32(batch).i32(n).f32(scale).ptr(out));
    }

    public void bilinear(MemorySegment src, int channels, int inH, int inW, MemorySegment dst, int outH, int outW) {
        launcher.launch("bilinear_f32", elementwiseGrid((long) channels * outH * outW),
                Launcher.Dim3.of(ELEMENTWISE_THREADS), 0,
                new KernelArgs().ptr(src).i32(channels).i32(inH).i32(inW).ptr(dst).i32(outH).i32(outW));
    }

    public void median(MemorySegment src, int planes, int h, int w, int k, MemorySegment dst) {
        if (k < 1 || k > MEDIAN_MAX_K) {
            throw new IllegalArgumentException("median window " + k + " outside 1.." + MEDIAN_MAX_K + " (the kernel's limit)");
        }
        launcher.launch("median_filter_f32", elementwiseGrid((long) planes * h * w), Launcher.Dim3.of(ELEMENTWISE_THREADS),
                0, new KernelArgs().ptr(src).i32(planes).i32(h).i32(w).i32(k).ptr(dst));
    }

    // ---- DBSCAN (see clip_kernels.cu and dev.clipengine.segmentation.DeviceDbscan) -------------------------------

    /** 32-bit words per adjacency row. */
    public static int dbscanWords(int n) {
        return (n + 31) / 32;
    }

    public void dbscanSqNorms(MemorySegment x, int n, int dim, MemorySegment sq) {
        launcher.launch("dbscan_sq_norms", perPointGrid(n, DBSCAN_THREADS), Launcher.Dim3.of(DBSCAN_THREADS), 0,
                new KernelArgs().ptr(x).i32(n).i32(dim).ptr(sq));
    }

    public void dbscanNeighbours(MemorySegment x, MemorySegment gram, MemorySegment sq, int n, int dim, double eps2,
                                 double rel, double absBand, MemorySegment adj, MemorySegment recomputed) {
        if (n > 65_535) throw new IllegalArgumentException("DBSCAN on the device takes at most 65535 points, got " + n);
        // x covers the columns in warps, y one row per block row: every (row, 32-column word) is written exactly once
        launcher.launch("dbscan_neighbours", Launcher.Dim3.of(Math.max(1, (n + DBSCAN_THREADS - 1) / DBSCAN_THREADS), n),
                Launcher.Dim3.of(DBSCAN_THREADS), 0,
                new KernelArgs().ptr(x).ptr(gram).ptr(sq).i32(n).i32(dim).f64(eps2).f64(rel).f64(absBand).ptr(adj)
                        .i32(dbscanWords(n)).ptr(recomputed));
    }

    public void dbscanCore(MemorySegment adj, int n, int minSamples, MemorySegment core, MemorySegment coreBits,
                           MemorySegment lab) {
        launcher.launch("dbscan_core", perPointGrid(n, DBSCAN_THREADS), Launcher.Dim3.of(DBSCAN_THREADS), 0,
                new KernelArgs().ptr(adj).i32(n).i32(dbscanWords(n)).i32(minSamples).ptr(core).ptr(coreBits).ptr(lab));
    }

    public void dbscanPropagate(MemorySegment adj, MemorySegment coreBits, MemorySegment core, int n, MemorySegment lab,
                                MemorySegment changed) {
        launcher.launch("dbscan_propagate", perPointGrid(n, DBSCAN_THREADS), Launcher.Dim3.of(DBSCAN_THREADS), 0,
                new KernelArgs().ptr(adj).ptr(coreBits).ptr(core).i32(n).i32(dbscanWords(n)).ptr(lab).ptr(changed));
    }

    public void dbscanJump(MemorySegment core, int n, MemorySegment lab, MemorySegment changed) {
        launcher.launch("dbscan_jump", perPointGrid(n, DBSCAN_THREADS), Launcher.Dim3.of(DBSCAN_THREADS), 0,
                new KernelArgs().ptr(core).i32(n).ptr(lab).ptr(changed));
    }

    public void dbscanNumber(MemorySegment core, MemorySegment lab, int n, MemorySegment clusterOf,
                             MemorySegment clusters) {
        launcher.launch("dbscan_number", Launcher.Dim3.of(1), Launcher.Dim3.of(1), 0,
                new KernelArgs().ptr(core).ptr(lab).i32(n).ptr(clusterOf).ptr(clusters));
    }

    public void dbscanLabels(MemorySegment adj, MemorySegment coreBits, MemorySegment core, MemorySegment lab,
                             MemorySegment clusterOf, int n, MemorySegment labels) {
        launcher.launch("dbscan_labels", perPointGrid(n, DBSCAN_THREADS), Launcher.Dim3.of(DBSCAN_THREADS), 0,
                new KernelArgs().ptr(adj).ptr(coreBits).ptr(core).ptr(lab).ptr(clusterOf).i32(n).i32(dbscanWords(n))
                        .ptr(labels));
    }
}
