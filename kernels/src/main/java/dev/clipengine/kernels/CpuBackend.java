package dev.clipengine.kernels;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The CPU backend: {@link Backend} over the Java heap (buffers are {@code float[]}, weights pre-packed into the
 * GEMM's panel layout), with one fixed thread pool sized to the cores shared by every call. All methods are
 * thread-safe: a model is shared by many threads, several inferences may call in concurrently, and calls made from
 * inside a pool worker (e.g. from a {@link #parallelFor} body) do not deadlock because the caller always participates
 * in its own loop (see {@link WorkPool}).
 *
 * <p>Besides the {@link Backend} methods it keeps {@code float[]} conveniences (the same kernels without the buffer
 * wrapper) for the tests and benchmarks of this module. Code elsewhere uses {@link Backends#cpu()} and the interface.
 *
 * <p>Matrix arguments are row-major with explicit offsets and leading dimensions (row strides) so callers can address
 * sub-matrices such as one attention head inside a packed QKV buffer without copying.
 */
public final class CpuBackend implements Backend {

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

    // ==== Backend ==================================================================================================

    /** A heap buffer; {@link #data()} is the live array. */
    record HeapBuffer(float[] data) implements Buffer {
        @Override
        public long length() {
            return data.length;
        }

        @Override
        public void close() {
            // garbage collected
        }
    }

    /**
     * Weights as the CPU multiplies them: the matrix itself (mapped, any storage) and, for {@link #linear}, a copy
     * packed into the GEMM's panel layout, made on first use if {@link PackedLinear#tryPack} finds room in the
     * packing budget (else every call packs on the fly, which gives the same bits).
     */
    static final class CpuWeights implements Weights {
        private final WeightMatrix matrix;
        private final WorkPool pool;
        private volatile PackedLinear packed;
        private volatile boolean packingTried;

        CpuWeights(WeightMatrix matrix, WorkPool pool) {
            this.matrix = Objects.requireNonNull(matrix, "weight matrix");
            this.pool = pool;
        }

        WeightMatrix matrix() {
            return matrix;
        }

        /** The packed copy, packed on the first call; null when the budget ran out. */
        PackedLinear packed() {
            if (!packingTried) {
                synchronized (this) {
                    if (!packingTried) {
                        packed = PackedLinear.tryPack(matrix, pool);
                        packingTried = true;
                    }
                }
            }
            return packed;
        }

        @Override
        public int rows() {
            return matrix.rows();
        }

        @Override
        public int cols() {
            return matrix.cols();
        }

        @Override
        public void close() {
            // heap memory: the packed copy goes with the last reference to these weights
        }
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Buffer allocate(long floats) {
        return new HeapBuffer(new float[Math.toIntExact(floats)]);
    }

    @Override
    public Buffer upload(float[] src, int off, int len) {
        Objects.checkFromIndexSize(off, len, src.length);
        return new HeapBuffer(Arrays.copyOfRange(src, off, off + len));
    }

    /** Keeps {@code src} itself: no copy. */
    @Override
    public Buffer adopt(float[] src) {
        return new HeapBuffer(Objects.requireNonNull(src, "src"));
    }

    @Override
    public void write(float[] src, int off, int len, Buffer dst, long dstOff) {
        System.arraycopy(src, off, a(dst), i(dstOff), len);
    }

    @Override
    public void download(Buffer src, long srcOff, float[] dst, int off, int len) {
        System.arraycopy(a(src), i(srcOff), dst, off, len);
    }

    @Override
    public void copy(Buffer src, long srcOff, Buffer dst, long dstOff, long len) {
        System.arraycopy(a(src), i(srcOff), a(dst), i(dstOff), i(len));
    }

    @Override
    public void zero(Buffer dst, long off, long len) {
        float[] d = a(dst);
        Objects.checkFromIndexSize(i(off), i(len), d.length);
        Arrays.fill(d, i(off), i(off + len), 0f);
    }

    @Override
    public Weights weights(WeightMatrix w) {
        return new CpuWeights(w, pool);
    }

    @Override
    public void linear(Buffer x, long xOff, int ldx, int m, Weights w, Buffer bias, Buffer y, long yOff, int ldy,
                       Epilogue epilogue) {
        CpuWeights cw = cpuWeights(w);
        float[] b = bias == null ? null : a(bias);
        PackedLinear packed = cw.packed();
        if (packed != null) {
            linear(a(x), i(xOff), ldx, m, packed, b, a(y), i(yOff), ldy, epilogue);
        } else {
            linear(a(x), i(xOff), ldx, m, cw.matrix(), b, a(y), i(yOff), ldy, epilogue);
        }
    }

    @Override
    public void matmul(Buffer x, long xOff, int ldx, int m, Weights w, Buffer y, long yOff, int ldy) {
        matmul(a(x), i(xOff), ldx, m, cpuWeights(w).matrix(), a(y), i(yOff), ldy);
    }

    @Override
    public void gemmNT(int batch, int m, int n, int k, float alpha, Buffer a, long aOff, int lda, long strideA,
                       Buffer b, long bOff, int ldb, long strideB, Buffer c, long cOff, int ldc, long strideC) {
        for (int t = 0; t < batch; t++) {
            gemmNT(m, n, k, alpha, a(a), i(aOff + t * strideA), lda, a(b), i(bOff + t * strideB), ldb,
                    a(c), i(cOff + t * strideC), ldc);
        }
    }

    @Override
    public void gemmNN(int batch, int m, int n, int k, Buffer a, long aOff, int lda, long strideA,
                       Buffer b, long bOff, int ldb, long strideB, Buffer c, long cOff, int ldc, long strideC) {
        for (int t = 0; t < batch; t++) {
            gemmNN(m, n, k, a(a), i(aOff + t * strideA), lda, a(b), i(bOff + t * strideB), ldb,
                    a(c), i(cOff + t * strideC), ldc);
        }
    }

    @Override
    public void layerNorm(Buffer x, long xOff, int ldx, int rows, int cols, Buffer gamma, Buffer beta, float eps,
                          Buffer y, long yOff, int ldy) {
        layerNorm(a(x), i(xOff), ldx, rows, cols, a(gamma), a(beta), eps, a(y), i(yOff), ldy);
    }

    @Override
    public void softmaxRows(Buffer x, long off, int ld, int rows, int cols, boolean causal, int causalOffset,
                            int rowsPerMatrix) {
        if (!causal) {
            softmaxRows(a(x), i(off), ld, rows, cols, false, 0);
            return;
        }
        if (rowsPerMatrix <= 0) throw new IllegalArgumentException("rowsPerMatrix must be positive: " + rowsPerMatrix);
        for (int r0 = 0; r0 < rows; r0 += rowsPerMatrix) {
            softmaxRows(a(x), i(off + (long) r0 * ld), ld, Math.min(rowsPerMatrix, rows - r0), cols, true, causalOffset);
        }
    }

    @Override
    public void quickGelu(Buffer x, long off, long len) {
        quickGelu(a(x), i(off), i(len));
    }

    @Override
    public void add(Buffer dst, long dOff, Buffer src, long sOff, long len) {
        add(a(dst), i(dOff), a(src), i(sOff), i(len));
    }

    /**
     * Heads (one sequence) or sequences (several) are spread over the pool. Without bias and probability tap every
     * branch is the fused {@link #attentionHead} (scores, softmax and P·V per group of query rows, the {@code n×n}
     * matrix never stored), the branches of a sum accumulated into the output one after the other. With a bias or a
     * tap each branch is unfused: {@code S = scale·X·Yᵀ (+ bias)}, softmax, {@code out (+)= S·V}.
     */
    @Override
    public void attention(AttentionSpec spec, Buffer qkv, long qkvOff, int[] sequenceStarts, Buffer bias, Buffer probs,
                          Buffer out, long outOff) {
        Objects.requireNonNull(spec, "spec");
        float[] q = a(qkv), o = a(out);
        int base = i(qkvOff), outBase = i(outOff);
        int d = spec.width(), ld = 3 * d;
        int rows = checkSequences(sequenceStarts);
        if (rows == 0) return;
        Gemm.checkHeap("qkv", q, base, ld, rows, ld);
        Gemm.checkHeap("out", o, outBase, d, rows, d);
        boolean single = sequenceStarts.length == 2;
        float[] b = bias == null ? null : a(bias), p = probs == null ? null : a(probs);
        if ((b != null || p != null) && !single) {
            throw new IllegalArgumentException("an attention bias or probability tap needs a single sequence");
        }
        long nn = (long) rows * rows;
        if (b != null && b.length < nn) throw new IllegalArgumentException("bias holds " + b.length + " floats, need " + nn);
        if (p != null && p.length < spec.heads() * nn) {
            throw new IllegalArgumentException("probs hold " + p.length + " floats, need " + spec.heads() * nn);
        }
        if (single) {
            int n = rows;
            // an n×n score matrix per running thread, for unfused branches whose scores do not go to the tap directly
            boolean scratch = !spec.isIdentity() && (b != null || p != null) && !(p != null && spec.branches().size() == 1);
            ConcurrentLinkedDeque<float[]> free = new ConcurrentLinkedDeque<>();
            pool.run(spec.heads(), 4 * pool.threads(), (from, to) -> {
                float[] s = null;
                if (scratch) {
                    s = free.pollFirst();
                    if (s == null) s = new float[n * n];
                }
                for (int head = from; head < to; head++) attendHead(spec, q, base, n, head, b, p, s, o, outBase);
                if (s != null) free.addFirst(s);
            });
        } else {
            pool.run(sequenceStarts.length - 1, 4 * pool.threads(), (from, to) -> {
                for (int s = from; s < to; s++) {
                    int r0 = sequenceStarts[s], len = sequenceStarts[s + 1] - r0;
                    for (int head = 0; head < spec.heads(); head++) {
                        attendHead(spec, q, base + r0 * ld, len, head, null, null, null, o, outBase + r0 * d);
                    }
                }
            });
        }
    }

    /** Validates {@code [0, e0, e1, …]} (non-decreasing) and returns the total row count. */
    private static int checkSequences(int[] starts) {
        if (starts == null || starts.length < 2 || starts[0] != 0) {
            throw new IllegalArgumentException("sequenceStarts must be [0, end of sequence 0, ...]");
        }
        for (int s = 1; s < starts.length; s++) {
            if (starts[s] < starts[s - 1]) throw new IllegalArgumentException("sequenceStarts must not decrease");
        }
        return starts[starts.length - 1];
    }

    /** One head of one sequence of {@code n} rows starting at {@code qkv[rowBase]} / {@code out[outBase]}. */
    private void attendHead(AttentionSpec spec, float[] qkv, int rowBase, int n, int head, float[] bias, float[] probs,
                            float[] scratch, float[] out, int outBase) {
        if (n == 0) return;
        int d = spec.width(), ld = 3 * d, hd = spec.headDim();
        int v = rowBase + spec.column(AttentionSpec.Part.V, head), o = outBase + head * hd;
        if (spec.isIdentity()) {
            // A = I: each token keeps its own v (MaskCLIP); a copy is exactly what the product with I gives
            for (int i = 0; i < n; i++) System.arraycopy(qkv, v + i * ld, out, o + i * d, hd);
            return;
        }
        List<AttentionSpec.Branch> branches = spec.branches();
        if (bias == null && probs == null) {
            // The common case: fused, the n×n probabilities are never stored; a sum of branches is a sum of heads
            // over the same V, each added to the output as it is made.
            for (int i = 0; i < branches.size(); i++) {
                AttentionSpec.Branch br = branches.get(i);
                Attention.head(n, hd, spec.scale(), spec.causal(), qkv, rowBase + spec.column(br.query(), head), ld,
                        qkv, rowBase + spec.column(br.key(), head), ld, qkv, v, ld, out, o, d, i > 0);
            }
            return;
        }
        int nn = n * n;
        for (int i = 0; i < branches.size(); i++) {
            AttentionSpec.Branch br = branches.get(i);
            boolean toTap = probs != null && branches.size() == 1;   // the scores become the tap itself
            float[] s = toTap ? probs : scratch;
            int s0 = toTap ? head * nn : 0;
            gemmNT(n, n, hd, spec.scale(), qkv, rowBase + spec.column(br.query(), head), ld,
                    qkv, rowBase + spec.column(br.key(), head), ld, s, s0, n);
            if (bias != null) RowOps.add(s, s0, bias, 0, nn);
            softmaxRows(s, s0, n, n, n, spec.causal(), 0);
            if (probs != null && !toTap) {
                if (i == 0) System.arraycopy(s, s0, probs, head * nn, nn);
                else RowOps.add(probs, head * nn, s, s0, nn);
            }
            Gemm.run(pool, n, hd, n, 1f, s, s0, n, PanelPacker.heapColumnsAreOutputs(qkv, v, ld), null, out, o, d,
                    false, i == 0 ? Epilogue.STORE : Epilogue.ACCUMULATE);
        }
    }

    /**
     * Every segment of every row is scaled to unit length first; then the sum of all {@code segments} cosine matrices
     * is one Gram matrix of the scaled rows, {@code Z·Zᵀ} with {@code K = segments·width}: a single well-shaped GEMM
     * instead of {@code segments} thin ones and as many elementwise passes. Scaling first equals dividing afterwards
     * except for segments shorter than 1e-4 (the clamp's scale), which trained CLIP activations never have; a zero
     * segment gives 0 either way.
     */
    @Override
    public void cosineSelfCorrelation(Buffer x, long off, int ld, int n, int segments, int width, float scale,
                                      Buffer out) {
        float[] q = a(x), w = a(out);
        int base = i(off), k = Math.multiplyExact(segments, width);
        if (n == 0) return;
        Gemm.checkHeap("x", q, base, ld, n, k);
        Gemm.checkHeap("out", w, 0, n, n, n);
        float[] unit = new float[Math.multiplyExact(n, k)];
        pool.run(n, 4 * pool.threads(), (from, to) -> {
            for (int i = from; i < to; i++) {
                for (int seg = 0; seg < segments; seg++) {
                    int src = base + i * ld + seg * width, dst = i * k + seg * width;
                    float sq = 0;
                    for (int c = 0; c < width; c++) sq += q[src + c] * q[src + c];
                    float norm = (float) Math.sqrt(sq);
                    float inv = norm > 0 ? 1f / norm : 0f;
                    for (int c = 0; c < width; c++) unit[dst + c] = q[src + c] * inv;
                }
            }
        });
        gemmNT(n, n, k, scale, unit, 0, k, unit, 0, k, w, 0, n);
    }

    @Override
    public void bilinear(Buffer src, int channels, int inH, int inW, Buffer dst, int outH, int outW) {
        float[] in = a(src), o = a(dst);
        int inLen = Math.multiplyExact(channels, Math.multiplyExact(inH, inW));
        float[] out = Resample.bilinear(in.length == inLen ? in : Arrays.copyOf(in, inLen), channels, inH, inW, outH, outW);
        System.arraycopy(out, 0, o, 0, out.length);
    }

    @Override
    public void median(Buffer src, int planes, int h, int w, int k, Buffer dst) {
        float[] in = a(src), o = a(dst);
        int p = Math.multiplyExact(h, w);
        Objects.checkFromIndexSize(0, Math.multiplyExact(planes, p), in.length);
        Objects.checkFromIndexSize(0, planes * p, o.length);
        pool.run(planes, 4 * pool.threads(), (from, to) -> {
            for (int c = from; c < to; c++) {
                float[] plane = Arrays.copyOfRange(in, c * p, (c + 1) * p);
                System.arraycopy(MedianFilter.median(plane, h, w, k), 0, o, c * p, p);
            }
        });
    }

    /** The steps on the heap, reading {@code x} in place (no copy): keep it unchanged until the run is closed. */
    @Override
    public DbscanSteps dbscan(float[] x, int n, int dim) {
        return new CpuDbscan(this, x, n, dim);
    }

    @Override
    public void synchronize() {
        // every call has completed when it returns
    }

    private static float[] a(Buffer b) {
        if (b instanceof HeapBuffer h) return h.data();
        throw new IllegalArgumentException("buffer does not belong to the CPU backend: " + b);
    }

    private static CpuWeights cpuWeights(Weights w) {
        if (w instanceof CpuWeights c) return c;
        throw new IllegalArgumentException("weights were not prepared by the CPU backend: " + w);
    }

    private static int i(long v) {
        return Math.toIntExact(v);
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
