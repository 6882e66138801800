package dev.clipengine.kernels;

import java.util.Objects;

/**
 * The CPU backend: one fixed thread pool sized to the cores, shared by every call. All methods are thread-safe: a
 * model is shared by many threads, several inferences may call in concurrently, and calls made from inside a pool
 * worker (e.g. from a {@link #parallelFor} body) do not deadlock because the caller always participates in its own
 * loop (see {@link WorkPool}).
 *
 * <p>Matrix arguments are row-major with explicit offsets and leading dimensions (row strides) so callers can address
 * sub-matrices such as one attention head inside a packed QKV buffer without copying.
 */
public final class CpuBackend implements AutoCloseable {

    private static volatile CpuBackend shared;

    private final WorkPool pool;

    /**
     * A backend with its own pool: {@code threads - 1} worker threads plus the calling thread, which always takes
     * part. The workers are not daemon threads: {@link #close()} it when done (or use {@link #shared()}).
     *
     * @param threads at least 1; 1 runs everything on the caller
     */
    public CpuBackend(int threads) {
        this(threads, false);
    }

    private CpuBackend(int threads, boolean daemon) {
        this.pool = new WorkPool(threads, daemon);
    }

    /** The process-wide backend: created on first use, one thread per available processor, daemon threads. */
    public static CpuBackend shared() {
        CpuBackend b = shared;
        if (b == null) {
            synchronized (CpuBackend.class) {
                b = shared;
                if (b == null) {
                    b = new CpuBackend(Runtime.getRuntime().availableProcessors(), true);
                    shared = b;
                }
            }
        }
        return b;
    }

    public int threads() {
        return pool.threads();
    }

    /**
     * {@code y[i][n] = sum_k x[i][k]*w[n][k] + bias[n]} with {@code w} N×K (PyTorch Linear weight layout).
     * x rows of length K = w.cols() start at {@code x[xOff + i*ldx]}; y rows at {@code y[yOff + i*ldy]}.
     *
     * <p>Weights in a thread-confined segment are multiplied on the calling thread only (other threads may not
     * read it). C must not overlap x or the weights (true of every GEMM here).
     *
     * @param bias length N, or null
     */
    public void linear(float[] x, int xOff, int ldx, int m, WeightMatrix w, float[] bias, float[] y, int yOff, int ldy) {
        linear(x, xOff, ldx, m, w, bias, y, yOff, ldy, Epilogue.STORE);
    }

    /**
     * {@link #linear(float[], int, int, int, WeightMatrix, float[], float[], int, int)} with a fused epilogue:
     * {@link Epilogue#ACCUMULATE} adds the result to {@code y} (a residual), {@link Epilogue#QUICK_GELU} applies the
     * activation to each output tile while it is in cache.
     */
    public void linear(float[] x, int xOff, int ldx, int m, WeightMatrix w, float[] bias, float[] y, int yOff, int ldy,
                       Epilogue epilogue) {
        Objects.requireNonNull(epilogue, "epilogue");
        int n = w.rows(), k = w.cols();
        if (bias != null && bias.length < n) {
            throw new IllegalArgumentException("bias has " + bias.length + " entries, weight has " + n + " output rows");
        }
        Gemm.checkHeap("x", x, xOff, ldx, m, k);
        Gemm.checkHeap("y", y, yOff, ldy, m, n);
        Gemm.run(pool, m, n, k, 1f, x, xOff, ldx, PanelPacker.weightRowsAreOutputs(w), bias, y, yOff, ldy,
                confined(w), epilogue);
    }

    /**
     * {@link #linear(float[], int, int, int, WeightMatrix, float[], float[], int, int, Epilogue)} with weights packed
     * ahead of time: the same products bit for bit, without the per-call packing. Runs on the pool whatever the
     * original segment was (the packed copy is on the heap).
     */
    public void linear(float[] x, int xOff, int ldx, int m, PackedLinear w, float[] bias, float[] y, int yOff, int ldy,
                       Epilogue epilogue) {
        Objects.requireNonNull(epilogue, "epilogue");
        int n = w.rows(), k = w.cols();
        if (bias != null && bias.length < n) {
            throw new IllegalArgumentException("bias has " + bias.length + " entries, weight has " + n + " output rows");
        }
        Gemm.checkHeap("x", x, xOff, ldx, m, k);
        Gemm.checkHeap("y", y, yOff, ldy, m, n);
        Gemm.run(pool, m, n, k, 1f, x, xOff, ldx, new PanelPacker.Prepacked(w), bias, y, yOff, ldy, false, epilogue);
    }

    /**
     * {@code y = x · w} with {@code w} K×N (a right-multiplied projection such as CLIP's visual.proj). Same threading
     * and aliasing rules as {@link #linear}.
     */
    public void matmul(float[] x, int xOff, int ldx, int m, WeightMatrix w, float[] y, int yOff, int ldy) {
        int k = w.rows(), n = w.cols();
        Gemm.checkHeap("x", x, xOff, ldx, m, k);
        Gemm.checkHeap("y", y, yOff, ldy, m, n);
        Gemm.run(pool, m, n, k, 1f, x, xOff, ldx, PanelPacker.weightColumnsAreOutputs(w), null, y, yOff, ldy,
                confined(w));
    }

    /** {@code C[m×n] = alpha · A[m×k] · B[n×k]ᵀ}, all heap, strided. Overwrites C. */
    public void gemmNT(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc) {
        Gemm.checkHeap("A", a, aOff, lda, m, k);
        Gemm.checkHeap("B", b, bOff, ldb, n, k);
        Gemm.checkHeap("C", c, cOff, ldc, m, n);
        Gemm.run(pool, m, n, k, alpha, a, aOff, lda, PanelPacker.heapRowsAreOutputs(b, bOff, ldb), null,
                c, cOff, ldc, false);
    }

    /** {@code C[m×n] = A[m×k] · B[k×n]}, heap, strided. Overwrites C. */
    public void gemmNN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc) {
        Gemm.checkHeap("A", a, aOff, lda, m, k);
        Gemm.checkHeap("B", b, bOff, ldb, k, n);
        Gemm.checkHeap("C", c, cOff, ldc, m, n);
        Gemm.run(pool, m, n, k, 1f, a, aOff, lda, PanelPacker.heapColumnsAreOutputs(b, bOff, ldb), null,
                c, cOff, ldc, false);
    }

    /**
     * One attention head, {@code out[i] = softmax_j(scale · q_i·k_j) · v_j} over {@code n} rows of width {@code dh}
     * (row i sees only {@code j <= i} when causal), fused so the {@code n×n} probabilities are never stored (see
     * {@link Attention}). Runs on the calling thread; callers spread heads over {@link #parallelFor}. {@code out} must
     * not overlap q, k or v. With {@code accumulate} the head's output is added to {@code out} (attention that sums
     * several softmaxes, such as CLIPtrase's, is a sum of heads over the same V).
     */
    public void attentionHead(int n, int dh, float scale, boolean causal, float[] q, int qOff, int ldq, float[] k,
                              int kOff, int ldk, float[] v, int vOff, int ldv, float[] out, int outOff, int ldo,
                              boolean accumulate) {
        Gemm.checkHeap("q", q, qOff, ldq, n, dh);
        Gemm.checkHeap("k", k, kOff, ldk, n, dh);
        Gemm.checkHeap("v", v, vOff, ldv, n, dh);
        Gemm.checkHeap("out", out, outOff, ldo, n, dh);
        Attention.head(n, dh, scale, causal, q, qOff, ldq, k, kOff, ldk, v, vOff, ldv, out, outOff, ldo, accumulate);
    }

    /**
     * Row-wise LayerNorm (biased variance, as PyTorch) with affine gamma/beta. Mean and variance accumulate in double.
     * x and y may alias (same array and offsets).
     */
    public void layerNorm(float[] x, int xOff, int ldx, int rows, int cols, float[] gamma, float[] beta, float eps,
                          float[] y, int yOff, int ldy) {
        Gemm.checkHeap("x", x, xOff, ldx, rows, cols);
        Gemm.checkHeap("y", y, yOff, ldy, rows, cols);
        Objects.checkFromIndexSize(0, cols, gamma.length);
        Objects.checkFromIndexSize(0, cols, beta.length);
        pool.run(rows, chunksFor(rows, (long) rows * cols),
                (from, to) -> RowOps.layerNorm(x, xOff, ldx, from, to, cols, gamma, beta, eps, y, yOff, ldy));
    }

    /**
     * In-place softmax over {@code cols} entries of each of {@code rows} rows (max-subtracted). When {@code causal},
     * row i keeps only columns {@code 0..i+causalOffset} and the others become exactly 0 (an additive -inf mask above
     * the diagonal). A row with no kept column becomes all zeros.
     */
    public void softmaxRows(float[] x, int off, int ld, int rows, int cols, boolean causal, int causalOffset) {
        Gemm.checkHeap("x", x, off, ld, rows, cols);
        pool.run(rows, chunksFor(rows, (long) rows * cols),
                (from, to) -> RowOps.softmax(x, off, ld, from, to, cols, causal, causalOffset));
    }

    /** In-place QuickGELU: {@code v * sigmoid(1.702 v)}. */
    public void quickGelu(float[] x, int off, int len) {
        Objects.checkFromIndexSize(off, len, x.length);
        int blocks = (len + ELEMENTWISE_BLOCK - 1) / ELEMENTWISE_BLOCK;
        pool.run(blocks, chunksFor(blocks, len), (from, to) -> {
            int start = off + from * ELEMENTWISE_BLOCK;
            int end = off + Math.min(len, to * ELEMENTWISE_BLOCK);
            RowOps.quickGelu(x, start, end - start);
        });
    }

    /** {@code dst[i] += src[i]} for i in [0, len). Serial: memory-bound, threads would not help much. */
    public void add(float[] dst, int dOff, float[] src, int sOff, int len) {
        Objects.checkFromIndexSize(dOff, len, dst.length);
        Objects.checkFromIndexSize(sOff, len, src.length);
        RowOps.add(dst, dOff, src, sOff, len);
    }

    /**
     * Runs {@code body(from, to)} over {@code [0, n)} split into contiguous chunks on the pool, the calling thread
     * participating; returns when all chunks are done and rethrows the first exception of a chunk. Bodies may call
     * back into this backend.
     */
    public void parallelFor(int n, IntRange body) {
        Objects.requireNonNull(body, "body");
        // A few chunks per thread so a thread that is busy elsewhere (nested or concurrent calls) does not hold up
        // a whole 1/threads share of the loop.
        pool.run(n, 4 * pool.threads(), body);
    }

    /** Stops this backend's workers (calls already running finish). A no-op for {@link #shared()}. */
    @Override
    public void close() {
        if (this == shared) {
            return; // the shared backend lives for the whole process
        }
        pool.close();
    }

    /** Any thread other than the caller; only used to ask a segment whether other threads may read it. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    /**
     * Weights in a thread-confined segment (e.g. {@code Arena.ofConfined()}) can only be read by their owner, so such
     * a multiply runs on the calling thread alone. Mapped model files use shared or global arenas and go parallel.
     */
    private static boolean confined(WeightMatrix w) {
        return !w.data().isAccessibleBy(OTHER_THREAD);
    }

    /** Elementwise work is split in blocks of this many floats. */
    private static final int ELEMENTWISE_BLOCK = 4096;

    /** Below ~32K elements the hand-off to other threads costs more than it saves. */
    private int chunksFor(int units, long elements) {
        if (elements < 32_768) {
            return 1;
        }
        return Math.min(units, 2 * pool.threads());
    }
}
