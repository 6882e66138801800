package dev.clipengine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Bindings for the CUDA driver API ({@code libcuda.so.1}, installed with the NVIDIA driver, not with the toolkit), in
 * jextract's style. Used for what the runtime API does not offer from a plain C ABI: loading our PTX module
 * ({@code cuModuleLoadDataEx}, JIT-compiled by the driver for the device at hand) and launching its kernels
 * ({@code cuLaunchKernel}). Everything runs on the device's primary context, the one the runtime uses, so driver and
 * runtime calls share streams and pointers.
 *
 * <p>Symbol names are those the CUDA 13 header maps the C names to (e.g. {@code cuDevicePrimaryCtxRelease} →
 * {@code cuDevicePrimaryCtxRelease_v2}); {@code CudaSymbolsTest} checks them against the header.
 */
public final class CudaDriver {

    public static final String[] SONAMES = {"libcuda.so.1"};

    // CUresult
    public static final int CUDA_SUCCESS = 0;
    public static final int CUDA_ERROR_INVALID_VALUE = 1;
    public static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    public static final int CUDA_ERROR_NOT_INITIALIZED = 3;
    public static final int CUDA_ERROR_DEINITIALIZED = 4;
    public static final int CUDA_ERROR_STUB_LIBRARY = 34;
    public static final int CUDA_ERROR_NO_DEVICE = 100;
    public static final int CUDA_ERROR_INVALID_DEVICE = 101;
    public static final int CUDA_ERROR_INVALID_IMAGE = 200;
    public static final int CUDA_ERROR_INVALID_CONTEXT = 201;
    public static final int CUDA_ERROR_NO_BINARY_FOR_GPU = 209;
    public static final int CUDA_ERROR_INVALID_PTX = 218;
    public static final int CUDA_ERROR_JIT_COMPILER_NOT_FOUND = 221;
    public static final int CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;
    public static final int CUDA_ERROR_INVALID_HANDLE = 400;
    public static final int CUDA_ERROR_NOT_FOUND = 500;
    public static final int CUDA_ERROR_ILLEGAL_ADDRESS = 700;
    public static final int CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701;
    public static final int CUDA_ERROR_LAUNCH_FAILED = 719;
    public static final int CUDA_ERROR_NOT_SUPPORTED = 801;
    public static final int CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803;

    // CUjit_option, CUfunction_attribute
    public static final int CU_JIT_INFO_LOG_BUFFER = 3;
    public static final int CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
    public static final int CU_JIT_ERROR_LOG_BUFFER = 5;
    public static final int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    public static final int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    static final Map<Integer, String> ERROR_NAMES = Constants.names(CudaDriver.class, "CUDA_SUCCESS", "CUDA_ERROR_");

    private final NativeLibrary lib;
    private final MethodHandle cuInit, cuDriverGetVersion, cuGetErrorName, cuGetErrorString, cuDeviceGetCount,
            cuDeviceGet, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease, cuCtxGetCurrent, cuCtxSetCurrent,
            cuCtxSynchronize, cuModuleLoadData, cuModuleLoadDataEx, cuModuleGetFunction, cuModuleUnload,
            cuLaunchKernel, cuFuncSetAttribute;

    CudaDriver(NativeLibrary lib) {
        this.lib = lib;
        cuInit = lib.downcall(FunctionDescriptor.of(JAVA_INT, JAVA_INT), "cuInit");
        cuDriverGetVersion = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cuDriverGetVersion");
        cuGetErrorName = lib.downcall(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorName");
        cuGetErrorString = lib.downcall(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorString");
        cuDeviceGetCount = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cuDeviceGetCount");
        cuDeviceGet = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuDeviceGet");
        cuDevicePrimaryCtxRetain = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                "cuDevicePrimaryCtxRetain");
        cuDevicePrimaryCtxRelease = lib.downcall(FunctionDescriptor.of(JAVA_INT, JAVA_INT),
                "cuDevicePrimaryCtxRelease_v2");
        cuCtxGetCurrent = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cuCtxGetCurrent");
        cuCtxSetCurrent = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cuCtxSetCurrent");
        cuCtxSynchronize = lib.downcall(FunctionDescriptor.of(JAVA_INT), "cuCtxSynchronize");
        cuModuleLoadData = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuModuleLoadData");
        cuModuleLoadDataEx = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS),
                "cuModuleLoadDataEx");
        cuModuleGetFunction = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                "cuModuleGetFunction");
        cuModuleUnload = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cuModuleUnload");
        cuLaunchKernel = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS,
                        JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                "cuLaunchKernel");
        cuFuncSetAttribute = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                "cuFuncSetAttribute");
    }

    /** Opens the driver library, or returns why it could not be. Never throws. */
    public static Loaded open() {
        NativeLibrary.Result r = NativeLibrary.open("CUDA driver", SONAMES);
        return r.loaded() ? new Loaded(new CudaDriver(r.library()), null) : new Loaded(null, r.problem());
    }

    public record Loaded(CudaDriver driver, String problem) {
    }

    public NativeLibrary library() {
        return lib;
    }

    // ---- raw bindings ------------------------------------------------------------------------------------------

    public int cuInit(int flags) {
        try { return (int) cuInit.invokeExact(flags); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuDriverGetVersion(MemorySegment driverVersion) {
        try { return (int) cuDriverGetVersion.invokeExact(driverVersion); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuGetErrorName(int error, MemorySegment pStr) {
        try { return (int) cuGetErrorName.invokeExact(error, pStr); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuGetErrorString(int error, MemorySegment pStr) {
        try { return (int) cuGetErrorString.invokeExact(error, pStr); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuDeviceGetCount(MemorySegment count) {
        try { return (int) cuDeviceGetCount.invokeExact(count); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuDeviceGet(MemorySegment device, int ordinal) {
        try { return (int) cuDeviceGet.invokeExact(device, ordinal); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuDevicePrimaryCtxRetain(MemorySegment pctx, int dev) {
        try { return (int) cuDevicePrimaryCtxRetain.invokeExact(pctx, dev); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuDevicePrimaryCtxRelease(int dev) {
        try { return (int) cuDevicePrimaryCtxRelease.invokeExact(dev); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuCtxGetCurrent(MemorySegment pctx) {
        try { return (int) cuCtxGetCurrent.invokeExact(pctx); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuCtxSetCurrent(MemorySegment ctx) {
        try { return (int) cuCtxSetCurrent.invokeExact(ctx); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuCtxSynchronize() {
        try { return (int) cuCtxSynchronize.invokeExact(); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuModuleLoadData(MemorySegment module, MemorySegment image) {
        try { return (int) cuModuleLoadData.invokeExact(module, image); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuModuleLoadDataEx(MemorySegment module, MemorySegment image, int numOptions, MemorySegment options,
                                  MemorySegment optionValues) {
        try {
            return (int) cuModuleLoadDataEx.invokeExact(module, image, numOptions, options, optionValues);
        } catch (Throwable t) {
            throw CudaRuntime.rethrow(t);
        }
    }

    public int cuModuleGetFunction(MemorySegment hfunc, MemorySegment hmod, MemorySegment name) {
        try { return (int) cuModuleGetFunction.invokeExact(hfunc, hmod, name); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuModuleUnload(MemorySegment hmod) {
        try { return (int) cuModuleUnload.invokeExact(hmod); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    public int cuLaunchKernel(MemorySegment f, int gridDimX, int gridDimY, int gridDimZ, int blockDimX, int blockDimY,
                              int blockDimZ, int sharedMemBytes, MemorySegment hStream, MemorySegment kernelParams,
                              MemorySegment extra) {
        try {
            return (int) cuLaunchKernel.invokeExact(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
                    sharedMemBytes, hStream, kernelParams, extra);
        } catch (Throwable t) {
            throw CudaRuntime.rethrow(t);
        }
    }

    public int cuFuncSetAttribute(MemorySegment hfunc, int attrib, int value) {
        try { return (int) cuFuncSetAttribute.invokeExact(hfunc, attrib, value); } catch (Throwable t) { throw CudaRuntime.rethrow(t); }
    }

    // ---- conveniences ------------------------------------------------------------------------------------------

    /** "CUDA_ERROR_INVALID_PTX (218): a PTX JIT compilation failed", from the driver when it knows the code. */
    public String describe(int error) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            String name = cuGetErrorName(error, p) == CUDA_SUCCESS && !p.get(ADDRESS, 0).equals(MemorySegment.NULL)
                    ? p.get(ADDRESS, 0).reinterpret(Long.MAX_VALUE).getString(0)
                    : ERROR_NAMES.getOrDefault(error, "CUresult");
            String text = cuGetErrorString(error, p) == CUDA_SUCCESS && !p.get(ADDRESS, 0).equals(MemorySegment.NULL)
                    ? p.get(ADDRESS, 0).reinterpret(Long.MAX_VALUE).getString(0)
                    : "unknown error";
            return name + " (" + error + "): " + text;
        }
    }

    public void check(int status, String call) {
        if (status != CUDA_SUCCESS) throw new CudaException("cuda", status, call + " failed: " + describe(status));
    }

    /** The newest CUDA version the driver supports ({@code 1000*major + 10*minor}). Works before {@code cuInit}. */
    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(cuDriverGetVersion(v), "cuDriverGetVersion");
            return v.get(JAVA_INT, 0);
        }
    }

    /** Name of a code without asking the library (for messages when it is absent). */
    public static String errorName(int error) {
        return ERROR_NAMES.getOrDefault(error, "CUresult " + error);
    }
}
