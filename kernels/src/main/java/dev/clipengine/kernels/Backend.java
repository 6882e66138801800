package dev.clipengine.kernels;

/**
 * The compute interface both backends are meant to share: the operations the CLIP forward and the segmentation
 * post-processing need, over opaque buffers that live where the backend computes (Java heap for the CPU, device memory
 * for CUDA), so a forward pass can stay on the GPU from the first layer to the last.
 *
 * <h2>Status and migration plan</h2>
 * Introduced with the CUDA backend ({@code dev.clipengine.kernels.cuda.CudaBackend}). {@link CpuBackend} does not
 * implement it yet, on purpose: its {@code float[]} API is being reworked for speed and the engine calls it directly.
 * {@link HeapBackend} adapts it to this interface (heap buffers wrapping {@code float[]}) and is the reference the CUDA
 * backend is tested against ({@code BackendContractTest}). The intended migration, once the CPU work has landed:
 * <ol>
 *   <li>the engine's model classes take a {@code Backend} and {@code Buffer}s instead of {@code CpuBackend} and
 *       {@code float[]} (mechanical: every call already has an offset and a leading dimension);</li>
 *   <li>{@code HeapBackend} folds into {@code CpuBackend}, whose {@code float[]} methods stay as conveniences;</li>
 *   <li>the backend is picked once per process by the engine's {@code --device} option.</li>
 * </ol>
 *
 * <h2>Conventions</h2>
 * Matrices are row-major fp32 with explicit element offsets and leading dimensions, exactly as {@link CpuBackend}.
 * Calls may complete asynchronously (CUDA queues them on a stream); {@link #download} and {@link #synchronize} wait.
 * A backend instance is used by one thread at a time unless its documentation says otherwise.
 */
public interface Backend extends AutoCloseable {

    /** fp32 activations where the backend computes. Closing frees them (device memory is not garbage collected). */
    interface Buffer extends AutoCloseable {
        /** Length in floats. */
        long length();

        @Override
        void close();
    }

    /** A weight matrix in the backend's memory, uploaded once per model (see {@link #weights}). */
    interface Weights {
        int rows();

        int cols();
    }

    /** "cpu" or "cuda:0" etc. */
    String name();

    /** A new zero-filled buffer of {@code floats} floats. */
    Buffer allocate(long floats);

    /** A new buffer holding {@code src[off .. off+len)}. */
    Buffer upload(float[] src, int off, int len);

    default Buffer upload(float[] src) {
        return upload(src, 0, src.length);
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

    /** Buffer-to-buffer copy of {@code len} floats. */
    void copy(Buffer src, long srcOff, Buffer dst, long dstOff, long len);

    /** Sets {@code len} floats to zero. */
    void zero(Buffer dst, long off, long len);

    /** Makes a weight matrix (mapped checkpoint memory, any {@link Storage}) available to the GEMMs. */
    Weights weights(WeightMatrix w);

    /** {@code y[i][n] = Σ_k x[i][k]·w[n][k] + bias[n]}: PyTorch's Linear, w is N×K. {@code bias} may be null. */
    void linear(Buffer x, long xOff, int ldx, int m, Weights w, Buffer bias, Buffer y, long yOff, int ldy);

    /** {@code y = x · w} with w K×N (a right-multiplied projection). */
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

    /** Row-wise LayerNorm (biased variance), affine; x and y may be the same rows. */
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

    /**
     * Cosine normalisation of {@code batch} Gram matrices {@code n×n} stored back to back:
     * {@code out[i][j] = scale · Σ_b G_b[i][j] / max(√G_b[i][i]·√G_b[j][j], 1e-8)} (cliptrase.md §2.1).
     */
    void cosineNormalize(Buffer gram, int batch, int n, float scale, Buffer out);

    /** PyTorch-exact bilinear resize (align_corners=False) of a CHW stack, as {@link Resample#bilinear}. */
    void bilinear(Buffer src, int channels, int inH, int inW, Buffer dst, int outH, int outW);

    /** scipy-exact median filter (reflect) of {@code planes} h×w planes, as {@link MedianFilter#median}. */
    void median(Buffer src, int planes, int h, int w, int k, Buffer dst);

    /** Waits for all queued work. */
    void synchronize();

    @Override
    void close();
}
