package dev.clipengine.kernels.cuda;

import dev.clipengine.cuda.CudaDriver;
import dev.clipengine.cuda.CudaException;
import dev.clipengine.cuda.CudaProbe;
import dev.clipengine.cuda.CudaRuntime;
import dev.clipengine.cuda.CudaUnavailableException;
import dev.clipengine.cuda.Cublas;
import dev.clipengine.kernels.AttentionSpec;
import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.DbscanSteps;
import dev.clipengine.kernels.Epilogue;
import dev.clipengine.kernels.Storage;
import dev.clipengine.kernels.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The CUDA backend: device buffers, weights uploaded once, every GEMM through cuBLAS, everything else through the
 * kernels of {@code clip_kernels.cu} (PTX loaded with the driver API and launched on one non-blocking stream).
 * Attention is unfused here: per sequence, a strided-batched cuBLAS GEMM over the heads for the scores, the softmax
 * kernel, the branches of a sum added, and a second batched GEMM with V. Linear epilogues are cuBLAS's beta (residual)
 * followed by the bias or bias+QuickGELU kernel.
 *
 * <p><b>STATUS: NEVER EXECUTED.</b> Written and compiled on a machine without a GPU, driver or cuBLAS. What was
 * verified there: the bindings' ABI against the CUDA 13 headers, the row-major→cuBLAS mapping ({@link GemmPlan}) against
 * a column-major BLAS reference, every launch's arguments against the PTX signatures ({@link Kernels} through a
 * recording {@link Launcher}), the PTX itself with ptxas. Everything that needs a device is listed in
 * {@code native-bindings/GPU-TODO.md}; {@code BackendContractTest} ({@code Cuda*ContractTest}) is the first thing to
 * run on a GPU.
 *
 * <p>Threading: all public methods are {@code synchronized}; a thread that calls in for the first time is bound to the
 * device (runtime {@code cudaSetDevice} and driver {@code cuCtxSetCurrent} on the primary context), because both APIs
 * keep their current device/context per thread. Work is asynchronous on the stream; {@link #download} and
 * {@link #synchronize} wait and report any kernel fault.
 */
public final class CudaBackend implements Backend {

    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final CudaProbe.Report report;
    private final CudaRuntime rt;
    private final CudaDriver drv;
    private final Cublas blas;
    private final Precision precision;
    private final int ordinal;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final MemorySegment cublasHandle;
    private final MemorySegment module;
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final Map<String, List<PtxModule.ParamType>> signatures;
    private final Kernels kernels;
    private final ThreadLocal<Boolean> bound = ThreadLocal.withInitial(() -> false);
    private boolean closed;

    /** The requirements our PTX puts on a device and driver (read from the PTX itself). */
    public static CudaProbe.Requirements requirements() {
        PtxModule ptx = PtxModule.load();
        int[] cc = ptx.minimumComputeCapability();
        return new CudaProbe.Requirements(cc[0], cc[1], ptx.minimumDriverVersion(),
                "the engine's PTX (ISA " + ptx.isaVersion() / 10 + "." + ptx.isaVersion() % 10 + ", " + ptx.target() + ")");
    }

    /**
     * Opens device {@code ordinal}.
     *
     * @throws CudaUnavailableException with the probe's one-line reason when no usable device is there
     */
    public static CudaBackend open(int ordinal, Precision precision) {
        CudaProbe.Report r = CudaProbe.probe(ordinal, requirements());
        if (!r.usable()) throw new CudaUnavailableException(r.line());
        return new CudaBackend(r, precision);
    }

    private CudaBackend(CudaProbe.Report report, Precision precision) {
        this.report = report;
        this.rt = report.runtime();
        this.drv = report.driver();
        this.blas = report.cublas();
        this.precision = precision;
        this.ordinal = report.device().ordinal();
        PtxModule ptx = PtxModule.load();
        this.signatures = ptx.entries();
        try (Arena a = Arena.ofConfined()) {
            rt.check(rt.cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
            rt.check(rt.cudaFree(MemorySegment.NULL), "cudaFree(NULL)");          // creates the primary context
            MemorySegment dev = a.allocate(JAVA_INT);
            drv.check(drv.cuDeviceGet(dev, ordinal), "cuDeviceGet");
            MemorySegment ctx = a.allocate(ADDRESS);
            drv.check(drv.cuDevicePrimaryCtxRetain(ctx, dev.get(JAVA_INT, 0)), "cuDevicePrimaryCtxRetain");
            this.context = ctx.get(ADDRESS, 0);
            drv.check(drv.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            bound.set(true);

            MemorySegment s = a.allocate(ADDRESS);
            rt.check(rt.cudaStreamCreateWithFlags(s, CudaRuntime.cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
            this.stream = s.get(ADDRESS, 0);

            MemorySegment h = a.allocate(ADDRESS);
            blas.check(blas.cublasCreate(h), "cublasCreate");
            this.cublasHandle = h.get(ADDRESS, 0);
            blas.check(blas.cublasSetStream(cublasHandle, stream), "cublasSetStream");
            // The compute type of each call decides TF32/BF16; the handle's math mode stays the default (no TF32).
            blas.check(blas.cublasSetMathMode(cublasHandle, Cublas.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");

            this.module = loadModule(a, ptx);
            for (String name : signatures.keySet()) {
                MemorySegment f = a.allocate(ADDRESS);
                drv.check(drv.cuModuleGetFunction(f, module, a.allocateFrom(name)), "cuModuleGetFunction(" + name + ")");
                functions.put(name, f.get(ADDRESS, 0));
            }
        }
        this.kernels = new Kernels(this::launch);
    }

    /** Loads the PTX with the JIT's error log captured, so a JIT failure says why. */
    private MemorySegment loadModule(Arena a, PtxModule ptx) {
        int logBytes = 16 * 1024;
        MemorySegment log = a.allocate(logBytes);
        MemorySegment options = a.allocate(JAVA_INT, 2);
        options.setAtIndex(JAVA_INT, 0, CudaDriver.CU_JIT_ERROR_LOG_BUFFER);
        options.setAtIndex(JAVA_INT, 1, CudaDriver.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
        MemorySegment values = a.allocate(ADDRESS, 2);
        values.setAtIndex(ADDRESS, 0, log);
        values.setAtIndex(ADDRESS, 1, MemorySegment.ofAddress(logBytes));   // the size travels as the pointer value
        MemorySegment m = a.allocate(ADDRESS);
        int st = drv.cuModuleLoadDataEx(m, a.allocateFrom(ptx.text(), StandardCharsets.US_ASCII), 2, options, values);
        if (st != CudaDriver.CUDA_SUCCESS) {
            throw new CudaException("cuda", st, "loading the engine's PTX failed: " + drv.describe(st) + "; JIT log: "
                    + log.getString(0, StandardCharsets.US_ASCII).trim());
        }
        return m.get(ADDRESS, 0);
    }

    /** The probe line this backend was opened with (device, driver, runtime, cuBLAS). */
    public String description() {
        return report.line() + ", " + precision.name().toLowerCase(java.util.Locale.ROOT);
    }

    public Precision precision() {
        return precision;
    }

    public Kernels kernels() {
        return kernels;
    }

    @Override
    public String name() {
        return "cuda:" + ordinal;
    }

    // ---- memory ---------------------------------------------------------------------------------------------------

    /** {@code bytes} of device memory (rounded up to 256), not initialised. Stream-ordered. */
    public synchronized DeviceMemory allocateBytes(long bytes) {
        bind();
        long rounded = Math.max(256, (bytes + 255) & ~255L);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            rt.check(rt.cudaMallocAsync(p, rounded, stream), "cudaMallocAsync(" + rounded + ")");
            return new DeviceMemory(this, p.get(ADDRESS, 0).address(), bytes);
        }
    }

    synchronized void free(long address) {
        if (closed) return;                      // the context is gone; the driver reclaimed everything
        bind();
        rt.check(rt.cudaFreeAsync(MemorySegment.ofAddress(address), stream), "cudaFreeAsync");
    }

    @Override
    public DeviceMemory allocate(long floats) {
        DeviceMemory m = allocateBytes(floats * Float.BYTES);
        zeroBytes(m, 0, m.bytes());
        return m;
    }

    /** Sets {@code bytes} bytes from {@code byteOff} to zero, asynchronously. */
    public synchronized void zeroBytes(DeviceMemory m, long byteOff, long bytes) {
        bind();
        if (bytes == 0) return;
        rt.check(rt.cudaMemsetAsync(m.atByte(byteOff), 0, bytes, stream), "cudaMemsetAsync");
    }

    @Override
    public DeviceMemory upload(float[] src, int off, int len) {
        DeviceMemory m = allocateBytes((long) len * Float.BYTES);
        write(src, off, len, m, 0);
        return m;
    }

    @Override
    public synchronized void write(float[] src, int off, int len, Buffer dst, long dstOff) {
        bind();
        DeviceMemory d = dev(dst);
        d.checkFloats("write", dstOff, len);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staging = a.allocate(JAVA_FLOAT, Math.max(1, len));
            MemorySegment.copy(src, off, staging, JAVA_FLOAT, 0, len);
            copyIn(staging, d, dstOff * Float.BYTES, (long) len * Float.BYTES);
        }
    }

    /** Host (native memory) → device, waiting for the copy (the host memory may be freed afterwards). */
    public synchronized void copyIn(MemorySegment host, DeviceMemory dst, long dstByteOff, long bytes) {
        bind();
        if (bytes == 0) return;
        rt.check(rt.cudaMemcpyAsync(dst.atByte(dstByteOff), host, bytes, CudaRuntime.cudaMemcpyHostToDevice, stream),
                "cudaMemcpyAsync(host to device)");
        sync();
    }

    /** Device → host (native memory), waiting for the copy and for all work queued before it. */
    public synchronized void copyOut(DeviceMemory src, long srcByteOff, MemorySegment host, long bytes) {
        bind();
        if (bytes == 0) return;
        rt.check(rt.cudaMemcpyAsync(host, src.atByte(srcByteOff), bytes, CudaRuntime.cudaMemcpyDeviceToHost, stream),
                "cudaMemcpyAsync(device to host)");
        sync();
    }

    @Override
    public synchronized void download(Buffer src, long srcOff, float[] dst, int off, int len) {
        DeviceMemory s = dev(src);
        s.checkFloats("download", srcOff, len);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staging = a.allocate(JAVA_FLOAT, Math.max(1, len));
            copyOut(s, srcOff * Float.BYTES, staging, (long) len * Float.BYTES);
            MemorySegment.copy(staging, JAVA_FLOAT, 0, dst, off, len);
        }
    }

    @Override
    public synchronized void copy(Buffer src, long srcOff, Buffer dst, long dstOff, long len) {
        bind();
        DeviceMemory s = dev(src), d = dev(dst);
        s.checkFloats("copy source", srcOff, len);
        d.checkFloats("copy destination", dstOff, len);
        if (len == 0) return;
        rt.check(rt.cudaMemcpyAsync(d.at(dstOff), s.at(srcOff), len * Float.BYTES, CudaRuntime.cudaMemcpyDeviceToDevice,
                stream), "cudaMemcpyAsync(device to device)");
    }

    @Override
    public void zero(Buffer dst, long off, long len) {
        DeviceMemory d = dev(dst);
        d.checkFloats("zero", off, len);
        zeroBytes(d, off * Float.BYTES, len * Float.BYTES);
    }

    // ---- weights --------------------------------------------------------------------------------------------------

    /** A weight matrix on the device: fp32 in FP32/TF32 mode, bf16 in BF16 mode. Closing frees it. */
    public record DeviceWeights(DeviceMemory memory, Storage storage, int rows, int cols) implements Weights {
        @Override
        public void close() {
            memory.close();
        }
    }

    /**
     * Uploads a weight matrix once (call it when the model is built, keep the result). Widening of F16/BF16 to fp32
     * or rounding to bf16 happens on the host, once.
     */
    @Override
    public synchronized DeviceWeights weights(WeightMatrix w) {
        bind();
        long count = (long) w.rows() * w.cols();
        Storage target = precision == Precision.BF16 ? Storage.BF16 : Storage.F32;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staging = a.allocate(count * target.bytes(), 8);
            if (w.storage() == target) {
                MemorySegment.copy(w.data(), 0, staging, 0, count * target.bytes());
            } else {
                for (int r = 0; r < w.rows(); r++) {
                    for (int c = 0; c < w.cols(); c++) {
                        long i = (long) r * w.cols() + c;
                        float v = w.get(r, c);
                        if (target == Storage.F32) staging.set(F32_LE, i * 4, v);
                        else staging.set(U16_LE, i * 2, floatToBf16(v));
                    }
                }
            }
            DeviceMemory m = allocateBytes(count * target.bytes());
            copyIn(staging, m, 0, count * target.bytes());
            return new DeviceWeights(m, target, w.rows(), w.cols());
        }
    }

    /** Round to nearest even, as the {@code f32_to_bf16} kernel and PyTorch. */
    static short floatToBf16(float v) {
        int b = Float.floatToRawIntBits(v);
        if ((b & 0x7fffffff) > 0x7f800000) return (short) ((b >>> 16) | 0x40);
        return (short) ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
    }

    // ---- GEMMs ----------------------------------------------------------------------------------------------------

    /**
     * The GEMM with cuBLAS's beta = 1 for {@link Epilogue#ACCUMULATE} (y += x·wᵀ), then the bias (and QuickGELU) by a
     * kernel over the m×N result.
     */
    @Override
    public synchronized void linear(Buffer x, long xOff, int ldx, int m, Weights w, Buffer bias, Buffer y, long yOff,
                                    int ldy, Epilogue epilogue) {
        if (m <= 0) return;
        DeviceWeights dw = deviceWeights(w);
        DeviceMemory out = dev(y);
        GemmPlan plan = GemmPlan.rowMajor(true, 1, m, dw.rows(), dw.cols(), 1f, xOff, ldx, 0, 0, dw.cols(), 0,
                yOff, ldy, 0);
        weightGemm(plan, dev(x), dw, out, epilogue == Epilogue.ACCUMULATE ? 1f : 0f);
        int n = dw.rows();
        if (bias != null) {
            DeviceMemory b = dev(bias);
            b.checkFloats("bias", 0, n);
            if (epilogue == Epilogue.QUICK_GELU) kernels.biasQuickGelu(out.at(yOff), ldy, b.at(0), m, n);
            else kernels.biasAdd(out.at(yOff), ldy, b.at(0), m, n);
        } else if (epilogue == Epilogue.QUICK_GELU) {
            if (ldy == n) {
                kernels.quickGelu(out.at(yOff), (long) m * n);
            } else {
                for (int r = 0; r < m; r++) kernels.quickGelu(out.at(yOff + (long) r * ldy), n);
            }
        }
    }

    @Override
    public synchronized void matmul(Buffer x, long xOff, int ldx, int m, Weights w, Buffer y, long yOff, int ldy) {
        if (m <= 0) return;
        DeviceWeights dw = deviceWeights(w);
        GemmPlan plan = GemmPlan.rowMajor(false, 1, m, dw.cols(), dw.rows(), 1f, xOff, ldx, 0, 0, dw.cols(), 0,
                yOff, ldy, 0);
        weightGemm(plan, dev(x), dw, dev(y), 0f);
    }

    /**
     * Activations × uploaded weights, {@code C = A·op(W) + betaValue·C}. In BF16 mode the activations are first rounded
     * into a bf16 scratch copy.
     */
    private void weightGemm(GemmPlan p, DeviceMemory x, DeviceWeights w, DeviceMemory y, float betaValue) {
        bind();
        x.checkFloats("x", p.secondOff(), p.secondExtent());
        y.checkFloats("y", p.cOff(), p.cExtent());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment alpha = a.allocateFrom(JAVA_FLOAT, p.alpha()), beta = a.allocateFrom(JAVA_FLOAT, betaValue);
            if (w.storage() == Storage.F32) {
                blas.check(blas.cublasGemmEx(cublasHandle, p.transa(), p.transb(), p.m(), p.n(), p.k(), alpha,
                        w.memory().at(p.firstOff()), Cublas.CUDA_R_32F, p.firstLd(),
                        x.at(p.secondOff()), Cublas.CUDA_R_32F, p.secondLd(), beta,
                        y.at(p.cOff()), Cublas.CUDA_R_32F, p.ldc(), precision.fp32OperandCompute,
                        Cublas.CUBLAS_GEMM_DEFAULT), "cublasGemmEx");
            } else {
                long span = p.secondExtent();
                try (DeviceMemory xb = allocateBytes(span * 2)) {
                    kernels.f32ToBf16(x.at(p.secondOff()), xb.atByte(0), span);
                    blas.check(blas.cublasGemmEx(cublasHandle, p.transa(), p.transb(), p.m(), p.n(), p.k(), alpha,
                            w.memory().atByte(p.firstOff() * 2), Cublas.CUDA_R_16BF, p.firstLd(),
                            xb.atByte(0), Cublas.CUDA_R_16BF, p.secondLd(), beta,
                            y.at(p.cOff()), Cublas.CUDA_R_32F, p.ldc(), Cublas.CUBLAS_COMPUTE_32F,
                            Cublas.CUBLAS_GEMM_DEFAULT), "cublasGemmEx(bf16)");
                }
            }
        }
    }

    @Override
    public synchronized void gemmNT(int batch, int m, int n, int k, float alpha, Buffer a, long aOff, int lda,
                                    long strideA, Buffer b, long bOff, int ldb, long strideB, Buffer c, long cOff,
                                    int ldc, long strideC) {
        batched(GemmPlan.rowMajor(true, batch, m, n, k, alpha, aOff, lda, strideA, bOff, ldb, strideB, cOff, ldc,
                strideC), dev(a), dev(b), dev(c), precision.fp32OperandCompute);
    }

    @Override
    public synchronized void gemmNN(int batch, int m, int n, int k, Buffer a, long aOff, int lda, long strideA,
                                    Buffer b, long bOff, int ldb, long strideB, Buffer c, long cOff, int ldc,
                                    long strideC) {
        batched(GemmPlan.rowMajor(false, batch, m, n, k, 1f, aOff, lda, strideA, bOff, ldb, strideB, cOff, ldc,
                strideC), dev(a), dev(b), dev(c), precision.fp32OperandCompute);
    }

    /** {@code C = alpha·A·Bᵀ} in true fp32 whatever the precision mode (DBSCAN's Gram matrix needs fp32 rounding). */
    public synchronized void gemmNTFp32(int m, int n, int k, float alpha, DeviceMemory a, long aOff, int lda,
                                        DeviceMemory b, long bOff, int ldb, DeviceMemory c, long cOff, int ldc) {
        batched(GemmPlan.rowMajor(true, 1, m, n, k, alpha, aOff, lda, 0, bOff, ldb, 0, cOff, ldc, 0), a, b, c,
                Cublas.CUBLAS_COMPUTE_32F);
    }

    private void batched(GemmPlan p, DeviceMemory a, DeviceMemory b, DeviceMemory c, int compute) {
        bind();
        a.checkFloats("A", p.secondOff(), p.secondExtent());
        b.checkFloats("B", p.firstOff(), p.firstExtent());
        c.checkFloats("C", p.cOff(), p.cExtent());
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment alpha = ar.allocateFrom(JAVA_FLOAT, p.alpha()), beta = ar.allocateFrom(JAVA_FLOAT, 0f);
            blas.check(blas.cublasGemmStridedBatchedEx(cublasHandle, p.transa(), p.transb(), p.m(), p.n(), p.k(), alpha,
                    b.at(p.firstOff()), Cublas.CUDA_R_32F, p.firstLd(), p.firstStride(),
                    a.at(p.secondOff()), Cublas.CUDA_R_32F, p.secondLd(), p.secondStride(), beta,
                    c.at(p.cOff()), Cublas.CUDA_R_32F, p.ldc(), p.cStride(), p.batch(), compute,
                    Cublas.CUBLAS_GEMM_DEFAULT), "cublasGemmStridedBatchedEx");
        }
    }

    // ---- our kernels ----------------------------------------------------------------------------------------------

    @Override
    public synchronized void layerNorm(Buffer x, long xOff, int ldx, int rows, int cols, Buffer gamma, Buffer beta,
                                       float eps, Buffer y, long yOff, int ldy) {
        bind();
        dev(x).checkFloats("x", xOff, (long) (rows - 1) * ldx + cols);
        dev(y).checkFloats("y", yOff, (long) (rows - 1) * ldy + cols);
        dev(gamma).checkFloats("gamma", 0, cols);
        dev(beta).checkFloats("beta", 0, cols);
        kernels.layerNorm(dev(x).at(xOff), ldx, dev(y).at(yOff), ldy, dev(gamma).at(0), dev(beta).at(0), rows, cols, eps);
    }

    @Override
    public synchronized void softmaxRows(Buffer x, long off, int ld, int rows, int cols, boolean causal,
                                         int causalOffset, int rowsPerMatrix) {
        bind();
        dev(x).checkFloats("x", off, (long) (rows - 1) * ld + cols);
        kernels.softmaxRows(dev(x).at(off), ld, rows, cols, causal, causalOffset, rowsPerMatrix);
    }

    @Override
    public synchronized void quickGelu(Buffer x, long off, long len) {
        bind();
        dev(x).checkFloats("x", off, len);
        kernels.quickGelu(dev(x).at(off), len);
    }

    @Override
    public synchronized void add(Buffer dst, long dOff, Buffer src, long sOff, long len) {
        bind();
        dev(dst).checkFloats("dst", dOff, len);
        dev(src).checkFloats("src", sOff, len);
        kernels.add(dev(dst).at(dOff), dev(src).at(sOff), len);
    }

    /**
     * {@code batch} Gram matrices of the segments (one strided-batched GEMM), then {@code cosine_normalize_f32} divides
     * each entry by the norms read off their diagonals and sums over the segments.
     */
    @Override
    public synchronized void cosineSelfCorrelation(Buffer x, long off, int ld, int n, int segments, int width,
                                                   float scale, Buffer out) {
        bind();
        if (n <= 0) return;
        DeviceMemory src = dev(x), dst = dev(out);
        dst.checkFloats("out", 0, (long) n * n);
        long nn = (long) n * n;
        try (DeviceMemory gram = allocateBytes(4L * segments * nn)) {
            batched(GemmPlan.rowMajor(true, segments, n, n, width, 1f, off, ld, width, off, ld, width, 0, n, nn),
                    src, src, gram, precision.fp32OperandCompute);
            kernels.cosineNormalize(gram.at(0), segments, n, scale, dst.at(0));
        }
    }

    /**
     * Per sequence: the scores of all heads by one strided-batched GEMM ({@code [heads, len, len]} on the device),
     * the additive bias per head, the softmax kernel over all their rows, the branches of a sum added, then P·V by a
     * second batched GEMM. The identity is a strided copy of the V columns.
     */
    @Override
    public synchronized void attention(AttentionSpec spec, Buffer qkv, long qkvOff, int[] sequenceStarts, Buffer bias,
                                       Buffer probs, Buffer out, long outOff) {
        bind();
        DeviceMemory q = dev(qkv), o = dev(out);
        int d = spec.width(), ld = 3 * d, hd = spec.headDim(), heads = spec.heads();
        if (sequenceStarts == null || sequenceStarts.length < 2 || sequenceStarts[0] != 0) {
            throw new IllegalArgumentException("sequenceStarts must be [0, end of sequence 0, ...]");
        }
        for (int s = 1; s < sequenceStarts.length; s++) {
            if (sequenceStarts[s] < sequenceStarts[s - 1]) throw new IllegalArgumentException("sequenceStarts must not decrease");
        }
        int rows = sequenceStarts[sequenceStarts.length - 1];
        if (rows == 0) return;
        q.checkFloats("qkv", qkvOff, (long) rows * ld);
        o.checkFloats("out", outOff, (long) (rows - 1) * d + d);
        boolean single = sequenceStarts.length == 2;
        if ((bias != null || probs != null) && !single) {
            throw new IllegalArgumentException("an attention bias or probability tap needs a single sequence");
        }
        long all = (long) rows * rows;
        DeviceMemory b = bias == null ? null : dev(bias), p = probs == null ? null : dev(probs);
        if (b != null) b.checkFloats("bias", 0, all);
        if (p != null) p.checkFloats("probs", 0, heads * all);
        if (spec.isIdentity()) {
            kernels.copyRows(q.at(qkvOff + spec.column(AttentionSpec.Part.V, 0)), ld, o.at(outOff), d, rows, d);
            return;
        }
        int branches = spec.branches().size();
        for (int s = 0; s + 1 < sequenceStarts.length; s++) {
            int r0 = sequenceStarts[s], len = sequenceStarts[s + 1] - r0;
            if (len == 0) continue;
            long nn = (long) len * len, base = qkvOff + (long) r0 * ld;
            try (DeviceMemory scores = allocateBytes(4L * heads * nn);
                 DeviceMemory sum = branches > 1 ? allocateBytes(4L * heads * nn) : null) {
                for (int i = 0; i < branches; i++) {
                    AttentionSpec.Branch br = spec.branches().get(i);
                    DeviceMemory target = sum != null && i == 0 ? sum : scores;
                    batched(GemmPlan.rowMajor(true, heads, len, len, hd, spec.scale(), base + spec.column(br.query(), 0),
                            ld, hd, base + spec.column(br.key(), 0), ld, hd, 0, len, nn), q, q, target,
                            precision.fp32OperandCompute);
                    if (b != null) {
                        for (int h = 0; h < heads; h++) kernels.add(target.at(h * nn), b.at(0), nn);
                    }
                    kernels.softmaxRows(target.at(0), len, heads * len, len, spec.causal(), 0, len);
                    if (sum != null && i > 0) kernels.add(sum.at(0), scores.at(0), heads * nn);
                }
                DeviceMemory probabilities = sum != null ? sum : scores;
                if (p != null) copy(probabilities, 0, p, 0, heads * nn);
                batched(GemmPlan.rowMajor(false, heads, len, hd, len, 1f, 0, len, nn,
                        base + spec.column(AttentionSpec.Part.V, 0), ld, hd, outOff + (long) r0 * d, d, hd),
                        probabilities, q, o, precision.fp32OperandCompute);
            }
        }
    }

    /** DBSCAN's steps on the device (see {@link CudaDbscan}); the Gram matrix is fp32 whatever the precision mode. */
    @Override
    public CudaDbscan dbscan(float[] x, int n, int dim) {
        return new CudaDbscan(this, x, n, dim);
    }

    @Override
    public synchronized void bilinear(Buffer src, int channels, int inH, int inW, Buffer dst, int outH, int outW) {
        bind();
        dev(src).checkFloats("src", 0, (long) channels * inH * inW);
        dev(dst).checkFloats("dst", 0, (long) channels * outH * outW);
        kernels.bilinear(dev(src).at(0), channels, inH, inW, dev(dst).at(0), outH, outW);
    }

    @Override
    public synchronized void median(Buffer src, int planes, int h, int w, int k, Buffer dst) {
        bind();
        dev(src).checkFloats("src", 0, (long) planes * h * w);
        dev(dst).checkFloats("dst", 0, (long) planes * h * w);
        kernels.median(dev(src).at(0), planes, h, w, k, dev(dst).at(0));
    }

    @Override
    public synchronized void synchronize() {
        bind();
        sync();
    }

    private void sync() {
        rt.check(rt.cudaStreamSynchronize(stream), "cudaStreamSynchronize (a kernel or copy queued earlier failed)");
    }

    /** Milliseconds of GPU time for {@code work}, measured with events on the stream (for benchmarks). */
    public synchronized float time(Runnable work) {
        bind();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e0 = a.allocate(ADDRESS), e1 = a.allocate(ADDRESS);
            rt.check(rt.cudaEventCreateWithFlags(e0, CudaRuntime.cudaEventDefault), "cudaEventCreate");
            rt.check(rt.cudaEventCreateWithFlags(e1, CudaRuntime.cudaEventDefault), "cudaEventCreate");
            try {
                rt.check(rt.cudaEventRecord(e0.get(ADDRESS, 0), stream), "cudaEventRecord");
                work.run();
                rt.check(rt.cudaEventRecord(e1.get(ADDRESS, 0), stream), "cudaEventRecord");
                rt.check(rt.cudaEventSynchronize(e1.get(ADDRESS, 0)), "cudaEventSynchronize");
                return rt.elapsedMillis(e0.get(ADDRESS, 0), e1.get(ADDRESS, 0));
            } finally {
                rt.cudaEventDestroy(e0.get(ADDRESS, 0));
                rt.cudaEventDestroy(e1.get(ADDRESS, 0));
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        bind();
        try {
            sync();
        } finally {
            closed = true;
            blas.cublasDestroy(cublasHandle);
            drv.cuModuleUnload(module);
            rt.cudaStreamDestroy(stream);
            drv.cuDevicePrimaryCtxRelease(ordinal);
        }
    }

    // ---- plumbing -------------------------------------------------------------------------------------------------

    /** Makes this backend's device and context current on the calling thread (both are per-thread in CUDA). */
    private void bind() {
        if (closed) throw new IllegalStateException("CUDA backend " + name() + " is closed");
        if (bound.get()) return;
        rt.check(rt.cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
        drv.check(drv.cuCtxSetCurrent(context), "cuCtxSetCurrent");
        bound.set(true);
    }

    private void launch(String kernel, Launcher.Dim3 grid, Launcher.Dim3 block, int sharedBytes, KernelArgs args) {
        MemorySegment f = functions.get(kernel);
        if (f == null) throw new IllegalStateException("kernel " + kernel + " is not in the PTX module");
        if (!args.matches(signatures.get(kernel))) {
            throw new IllegalStateException("arguments " + args.types() + " do not fit " + kernel + signatures.get(kernel));
        }
        try (Arena a = Arena.ofConfined()) {
            drv.check(drv.cuLaunchKernel(f, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(), sharedBytes,
                    stream, args.marshal(a), MemorySegment.NULL), "cuLaunchKernel(" + kernel + ")");
        }
    }

    private DeviceWeights deviceWeights(Weights w) {
        if (!(w instanceof DeviceWeights d) || d.memory().owner() != this) {
            throw new IllegalArgumentException("weights do not belong to " + name() + ": " + w);
        }
        return d;
    }

    private DeviceMemory dev(Buffer b) {
        if (!(b instanceof DeviceMemory d) || d.owner() != this) {
            throw new IllegalArgumentException("buffer does not belong to " + name() + ": " + b);
        }
        return d;
    }

    /** Reads {@code count} ints from device memory (DBSCAN results). */
    public int[] downloadInts(DeviceMemory src, long byteOff, int count) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(JAVA_INT, Math.max(1, count));
            copyOut(src, byteOff, host, (long) count * Integer.BYTES);
            return java.util.Arrays.copyOf(host.toArray(JAVA_INT), count);
        }
    }
}
