package dev.clipengine.kernels;

/**
 * The compute interface of the engine: every operation the CLIP forward and the segmentation's DBSCAN need, over
 * opaque buffers that live where the backend computes (the Java heap for {@link CpuBackend}, device memory for
 * {@code dev.clipengine.kernels.cuda.CudaBackend}). The model is written once against it, so activations stay on the
 * backend from the patch embedding to the projection and only the outputs come back.
 *
 * <p>Code outside this module gets a backend from {@link Backends} (or the engine's {@code --device} selection) and
 * never names an implementation.
 *
 * <h2>Conventions</h2>
 * Matrices are row-major fp32 with explicit element offsets and leading dimensions (row strides), so a call can address
 * a sub-matrix such as one head inside a packed {@code [q | k | v]} buffer without copying. Calls may complete
 * asynchronously (CUDA queues them on a stream); {@link #download} and {@link #synchronize} wait. Unless an
 * implementation says otherwise, a backend may be called from several threads at once with distinct output buffers.
 *
 * <h2>Contract</h2>
 * {@code BackendContractTest} (run on {@link CpuBackend} in every build, on CUDA where a GPU is present) checks every
 * method against scalar references: GEMMs within the fp32 error bound, the fused attention against the unfused
 * products, the DBSCAN steps against a plain DBSCAN, resampling and the median filter bit for bit.
 */
public interface Backend extends AutoCloseable {

    /** fp32 values where the backend computes. Closing frees them (device memory is not garbage collected). */
    interface Buffer extends AutoCloseable {
        /** Length in floats. */
        long length();

        @Override
        void close();
    }

    /**
     * A weight matrix prepared once per model for this backend's GEMMs: on the CPU packed into the GEMM's panel layout
     * (within the packing budget of {@link PackedLinear}), on CUDA uploaded to the device. Closing frees what the
     * preparation holds on a device; the weights must not be used afterwards.
     */
    interface Weights extends AutoCloseable {
        int rows();

        int cols();

        @Override
        void close();
    }

    /** "cpu" or "cuda:0" etc. */
    String name();

    // ---- memory -------------------------------------------------------------------------------------------------

    /** A new zero-filled buffer of {@code floats} floats. */
    Buffer allocate(long floats);

    /** A new buffer holding {@code src[off .. off+len)}. */
    Buffer upload(float[] src, int off, int len);

    default Buffer upload(float[] src) {
        return upload(src, 0, src.length);
    }

    /**
     * A buffer holding {@code src}, which the caller hands over and must not read or write afterwards: the CPU backend
     * keeps the array itself (no copy), others upload it.
     */
    default Buffer adopt(float[] src) {
        return upload(src);
    }

    /** Writes {@code src[off .. off+len)} into {@code dst} at {@code dstOff}. */
    void write(float[] src, int off, int len, Buffer dst, long dstOff);

    /** Copies {@code len} floats of {@code src} starting at {@code srcOff} into {@code dst[off..]}; waits for them. */
    void download(Buffer src, long srcOff, float[] dst, int off, int len);

    default float[] download(Buffer src) {
        float[] out = new float[Math.toIntExact(src.length())];
        download(src, 0, out, 0, out.length);
        return out;
    }

    /** Buffer-to-buffer copy of {@code len} floats (the ranges must not overlap). */
    void copy(Buffer src, long srcOff, Buffer dst, long dstOff, long len);

    /** Sets {@code len} floats to zero. */
    void zero(Buffer dst, long off, long len);

    // ---- weights and GEMMs --------------------------------------------------------------------------------------

    /** Prepares a weight matrix (mapped checkpoint memory, any {@link Storage}) for {@link #linear} and {@link #matmul}. */
    Weights weights(WeightMatrix w);

    /**
     * {@code y[i][n] (+)= epilogue(Σ_k x[i][k]·w[n][k] + bias[n])}: PyTorch's Linear, w is N×K, m rows.
     * {@link Epilogue#ACCUMULATE} adds the result to y (a residual), {@link Epilogue#QUICK_GELU} applies the activation
     * after the bias. {@code bias} (N floats at offset 0) may be null. y must not overlap x.
     */
    void linear(Buffer x, long xOff, int ldx, int m, Weights w, Buffer bias, Buffer y, long yOff, int ldy,
                Epilogue epilogue);

    /** {@link #linear(Buffer, long, int, int, Weights, Buffer, Buffer, long, int, Epilogue)} with {@link Epilogue#STORE}. */
    default void linear(Buffer x, long xOff, int ldx, int m, Weights w, Buffer bias, Buffer y, long yOff, int ldy) {
        linear(x, xOff, ldx, m, w, bias, y, yOff, ldy, Epilogue.STORE);
    }

    /** {@code y = x · w} with w K×N (a right-multiplied projection such as CLIP's visual.proj). */
    void matmul(Buffer x, long xOff, int ldx, int m, Weights w, Buffer y, long yOff, int ldy);

    /**
     * {@code batch} products {@code C_b[m×n] = alpha · A_b[m×k] · B_b[n×k]ᵀ}, where matrix {@code b} starts
     * {@code b·stride} floats after the offset of its operand. Overwrites C.
     */
    void gemmNT(int batch, int m, int n, int k, float alpha, Buffer a, long aOff, int lda, long strideA,
                Buffer b, long bOff, int ldb, long strideB, Buffer c, long cOff, int ldc, long strideC);

    /** {@code batch} products {@code C_b[m×n] = A_b[m×k] · B_b[k×n]}, strided as {@link #gemmNT}. Overwrites C. */
    void gemmNN(int batch, int m, int n, int k, Buffer a, long aOff, int lda, long strideA,
                Buffer b, long bOff, int ldb, long strideB, Buffer c, long cOff, int ldc, long strideC);

    // ---- row and elementwise operations -------------------------------------------------------------------------

    /** Row-wise LayerNorm (biased variance), affine; x and y may be the same rows. gamma and beta at offset 0. */
    void layerNorm(Buffer x, long xOff, int ldx, int rows, int cols, Buffer gamma, Buffer beta, float eps,
                   Buffer y, long yOff, int ldy);

    /**
     * In-place row softmax. With {@code causal}, row r keeps columns {@code 0..(r mod rowsPerMatrix)+causalOffset};
     * masked entries become 0, a fully masked row becomes zeros.
     */
    void softmaxRows(Buffer x, long off, int ld, int rows, int cols, boolean causal, int causalOffset, int rowsPerMatrix);

    /** In-place QuickGELU {@code v·sigmoid(1.702v)}. */
    void quickGelu(Buffer x, long off, long len);

    /** {@code dst += src}. */
    void add(Buffer dst, long dOff, Buffer src, long sOff, long len);

    // ---- attention ----------------------------------------------------------------------------------------------

    /**
     * Multi-head attention over packed {@code [q | k | v]} rows ({@code 3·spec.width()} floats each, from
     * {@code qkvOff}) into {@code out} (rows of {@code spec.width()} floats from {@code outOff}); see
     * {@link AttentionSpec} for what is computed. The rows are one or more independent sequences stacked:
     * {@code sequenceStarts = [0, end of sequence 0, end of sequence 1, …]}, attention within each.
     *
     * <p>Backends may fuse the scores, softmax and product so that no {@code n×n} matrix is stored; the two optional
     * arguments need one and are for a single sequence of {@code n} rows only:
     *
     * @param bias  {@code [n, n]} added to the scaled scores of every branch and head before the softmax (NACLIP's Ω),
     *              or null
     * @param probs {@code [heads, n, n]} receives, per head, the probabilities that multiply V (the sum over the
     *              branches), or null
     */
    void attention(AttentionSpec spec, Buffer qkv, long qkvOff, int[] sequenceStarts, Buffer bias, Buffer probs,
                   Buffer out, long outOff);

    /**
     * The cosine self-correlation of CLIPtrase (docs/cliptrase.md §2.1): {@code n} rows of {@code segments} consecutive
     * segments of {@code width} floats (row stride {@code ld}, from {@code off}); {@code out[i][j] = scale ·
     * Σ_s cos(x_i,s, x_j,s)} with {@code cos(a, b) = a·b / max(|a||b|, 1e-8)}, an {@code n×n} matrix at offset 0.
     * For q, k and v of every head, {@code segments = 3·heads} and {@code scale = 1/(3·heads)} give the mean.
     */
    void cosineSelfCorrelation(Buffer x, long off, int ld, int n, int segments, int width, float scale, Buffer out);

    // ---- resampling ---------------------------------------------------------------------------------------------

    /** PyTorch-exact bilinear resize (align_corners=False) of a CHW stack, as {@link Resample#bilinear}. */
    void bilinear(Buffer src, int channels, int inH, int inW, Buffer dst, int outH, int outW);

    /** scipy-exact median filter (reflect) of {@code planes} h×w planes, as {@link MedianFilter#median}. */
    void median(Buffer src, int planes, int h, int w, int k, Buffer dst);

    // ---- clustering ---------------------------------------------------------------------------------------------

    /**
     * Starts a DBSCAN run over {@code n} points of dimension {@code dim} ({@code x} row-major, n ≥ 1, all finite):
     * the data-parallel steps of {@code dev.clipengine.segmentation.Dbscan}, whose host loop drives them.
     */
    DbscanSteps dbscan(float[] x, int n, int dim);

    /** Waits for all queued work. */
    void synchronize();

    @Override
    void close();
}
