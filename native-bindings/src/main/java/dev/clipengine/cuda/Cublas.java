package dev.clipengine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Bindings for cuBLAS ({@code libcublas}), jextract style. The exported names are the {@code _v2} ones the header
 * maps {@code cublasCreate} etc. to. cuBLAS is column-major; the row-major mapping lives in the kernels module
 * ({@code dev.clipengine.kernels.cuda.GemmPlan}).
 *
 * <p>The constants were written from the cuBLAS documentation and cross-checked against published copies of
 * {@code cublas_api.h}; the toolkit on the machine these were written on has no cuBLAS header, so {@code CudaAbiTest}
 * cannot compile them. The status names are checked against {@code cublasGetStatusName} of a real
 * {@code libcublas.so.11} when one is found ({@code CublasLibraryTest}).
 */
public final class Cublas {

    public static final String[] SONAMES = {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"};

    // cublasStatus_t
    public static final int CUBLAS_STATUS_SUCCESS = 0;
    public static final int CUBLAS_STATUS_NOT_INITIALIZED = 1;
    public static final int CUBLAS_STATUS_ALLOC_FAILED = 3;
    public static final int CUBLAS_STATUS_INVALID_VALUE = 7;
    public static final int CUBLAS_STATUS_ARCH_MISMATCH = 8;
    public static final int CUBLAS_STATUS_MAPPING_ERROR = 11;
    public static final int CUBLAS_STATUS_EXECUTION_FAILED = 13;
    public static final int CUBLAS_STATUS_INTERNAL_ERROR = 14;
    public static final int CUBLAS_STATUS_NOT_SUPPORTED = 15;
    public static final int CUBLAS_STATUS_LICENSE_ERROR = 16;

    // cublasOperation_t
    public static final int CUBLAS_OP_N = 0;
    public static final int CUBLAS_OP_T = 1;

    // cublasMath_t
    public static final int CUBLAS_DEFAULT_MATH = 0;
    public static final int CUBLAS_PEDANTIC_MATH = 2;
    public static final int CUBLAS_TF32_TENSOR_OP_MATH = 3;

    // cublasComputeType_t
    public static final int CUBLAS_COMPUTE_32F = 68;
    public static final int CUBLAS_COMPUTE_32F_PEDANTIC = 69;
    public static final int CUBLAS_COMPUTE_32F_FAST_16BF = 75;
    public static final int CUBLAS_COMPUTE_32F_FAST_TF32 = 77;

    // cudaDataType (library_types.h; checked against the header by CudaAbiTest)
    public static final int CUDA_R_32F = 0;
    public static final int CUDA_R_16F = 2;
    public static final int CUDA_R_16BF = 14;

    // cublasGemmAlgo_t
    public static final int CUBLAS_GEMM_DEFAULT = -1;

    // libraryPropertyType (library_types.h)
    public static final int MAJOR_VERSION = 0;
    public static final int MINOR_VERSION = 1;
    public static final int PATCH_LEVEL = 2;

    static final Map<Integer, String> STATUS_NAMES = Constants.names(Cublas.class, "CUBLAS_STATUS_");

    private final NativeLibrary lib;
    private final MethodHandle cublasCreate, cublasDestroy, cublasGetVersion, cublasGetProperty, cublasSetStream,
            cublasSetMathMode, cublasSetWorkspace, cublasGetStatusName, cublasGetStatusString, cublasSgemm,
            cublasGemmEx, cublasSgemmStridedBatched, cublasGemmStridedBatchedEx;

    Cublas(NativeLibrary lib) {
        this.lib = lib;
        cublasCreate = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cublasCreate_v2");
        cublasDestroy = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cublasDestroy_v2");
        cublasGetVersion = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cublasGetVersion_v2");
        cublasGetProperty = lib.downcall(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cublasGetProperty");
        cublasSetStream = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cublasSetStream_v2");
        cublasSetMathMode = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cublasSetMathMode");
        cublasSetWorkspace = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG),
                "cublasSetWorkspace_v2");
        cublasGetStatusName = lib.downcall(FunctionDescriptor.of(ADDRESS, JAVA_INT), "cublasGetStatusName");
        cublasGetStatusString = lib.downcall(FunctionDescriptor.of(ADDRESS, JAVA_INT), "cublasGetStatusString");
        // handle, transa, transb, m, n, k, alpha*, A*, lda, B*, ldb, beta*, C*, ldc
        cublasSgemm = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), "cublasSgemm_v2");
        // ... alpha*, A*, Atype, lda, B*, Btype, ldb, beta*, C*, Ctype, ldc, computeType, algo
        cublasGemmEx = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), "cublasGemmEx");
        // ... alpha*, A*, lda, strideA(long long), B*, ldb, strideB, beta*, C*, ldc, strideC, batchCount
        cublasSgemmStridedBatched = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT), "cublasSgemmStridedBatched");
        // ... alpha*, A*, Atype, lda, strideA, B*, Btype, ldb, strideB, beta*, C*, Ctype, ldc, strideC, batchCount,
        //     computeType, algo
        cublasGemmStridedBatchedEx = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT),
                "cublasGemmStridedBatchedEx");
    }

    /** Opens the newest cuBLAS found, or returns why none could be. Never throws. */
    public static Loaded open() {
        NativeLibrary.Result r = NativeLibrary.open("cuBLAS", SONAMES);
        return r.loaded() ? new Loaded(new Cublas(r.library()), null) : new Loaded(null, r.problem());
    }

    public record Loaded(Cublas cublas, String problem) {
    }

    public NativeLibrary library() {
        return lib;
    }

    // ---- raw bindings ------------------------------------------------------------------------------------------

    public int cublasCreate(MemorySegment handle) {
        try { return (int) cublasCreate.invokeExact(handle); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cublasDestroy(MemorySegment handle) {
        try { return (int) cublasDestroy.invokeExact(handle); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cublasGetVersion(MemorySegment handle, MemorySegment version) {
        try { return (int) cublasGetVersion.invokeExact(handle, version); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    /** Needs no handle and no device. */
    public int cublasGetProperty(int type, MemorySegment value) {
        try { return (int) cublasGetProperty.invokeExact(type, value); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cublasSetStream(MemorySegment handle, MemorySegment stream) {
        try { return (int) cublasSetStream.invokeExact(handle, stream); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cublasSetMathMode(MemorySegment handle, int mode) {
        try { return (int) cublasSetMathMode.invokeExact(handle, mode); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cublasSetWorkspace(MemorySegment handle, MemorySegment workspace, long workspaceSizeInBytes) {
        try {
            return (int) cublasSetWorkspace.invokeExact(handle, workspace, workspaceSizeInBytes);
        } catch (Throwable t) {
            throw CudaRuntime.rethrow(t);
        }
    }

    public MemorySegment cublasGetStatusName(int status) {
        try { return (MemorySegment) cublasGetStatusName.invokeExact(status); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public MemorySegment cublasGetStatusString(int status) {
        try { return (MemorySegment) cublasGetStatusString.invokeExact(status); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cublasSgemm(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha,
                           MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment beta, MemorySegment c,
                           int ldc) {
        try {
            return (int) cublasSgemm.invokeExact(handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw CudaRuntime.rethrow(t);
        }
    }

    public int cublasGemmEx(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha,
                            MemorySegment a, int aType, int lda, MemorySegment b, int bType, int ldb,
                            MemorySegment beta, MemorySegment c, int cType, int ldc, int computeType, int algo) {
        try {
            return (int) cublasGemmEx.invokeExact(handle, transa, transb, m, n, k, alpha, a, aType, lda, b, bType, ldb,
                    beta, c, cType, ldc, computeType, algo);
        } catch (Throwable t) {
            throw CudaRuntime.rethrow(t);
        }
    }

    public int cublasSgemmStridedBatched(MemorySegment handle, int transa, int transb, int m, int n, int k,
                                         MemorySegment alpha, MemorySegment a, int lda, long strideA, MemorySegment b,
                                         int ldb, long strideB, MemorySegment beta, MemorySegment c, int ldc,
                                         long strideC, int batchCount) {
        try {
            return (int) cublasSgemmStridedBatched.invokeExact(handle, transa, transb, m, n, k, alpha, a, lda, strideA,
                    b, ldb, strideB, beta, c, ldc, strideC, batchCount);
        } catch (Throwable t) {
            throw CudaRuntime.rethrow(t);
        }
    }

    public int cublasGemmStridedBatchedEx(MemorySegment handle, int transa, int transb, int m, int n, int k,
                                          MemorySegment alpha, MemorySegment a, int aType, int lda, long strideA,
                                          MemorySegment b, int bType, int ldb, long strideB, MemorySegment beta,
                                          MemorySegment c, int cType, int ldc, long strideC, int batchCount,
                                          int computeType, int algo) {
        try {
            return (int) cublasGemmStridedBatchedEx.invokeExact(handle, transa, transb, m, n, k, alpha, a, aType, lda,
                    strideA, b, bType, ldb, strideB, beta, c, cType, ldc, strideC, batchCount, computeType, algo);
        } catch (Throwable t) {
            throw CudaRuntime.rethrow(t);
        }
    }

    // ---- conveniences ------------------------------------------------------------------------------------------

    /** "CUBLAS_STATUS_NOT_INITIALIZED (1): the library was not initialized", from the library when it can say. */
    public String describe(int status) {
        if (lib.has("cublasGetStatusName") && lib.has("cublasGetStatusString")) {
            return cublasGetStatusName(status).reinterpret(Long.MAX_VALUE).getString(0) + " (" + status + "): "
                    + cublasGetStatusString(status).reinterpret(Long.MAX_VALUE).getString(0);
        }
        return statusName(status) + " (" + status + ")";
    }

    /** Name of a status without asking the library. */
    public static String statusName(int status) {
        return STATUS_NAMES.getOrDefault(status, "cublasStatus " + status);
    }

    public void check(int status, String call) {
        if (status != CUBLAS_STATUS_SUCCESS) throw new CudaException("cublas", status, call + " failed: " + describe(status));
    }

    /** "12.4.5" from {@code cublasGetProperty}; needs no device. */
    public String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            int[] parts = new int[3];
            for (int p = MAJOR_VERSION; p <= PATCH_LEVEL; p++) {
                check(cublasGetProperty(p, v), "cublasGetProperty");
                parts[p] = v.get(JAVA_INT, 0);
            }
            return parts[0] + "." + parts[1] + "." + parts[2];
        }
    }
}
