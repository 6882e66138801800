package dev.clipengine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Bindings for the CUDA runtime ({@code libcudart}), in jextract's style: one method per C function, same name and
 * argument order, {@code MemorySegment} for every pointer, {@code long} for {@code size_t}, the raw
 * {@code cudaError_t} returned as an {@code int}. Handles are created once when the library is opened.
 *
 * <p>Only the functions the engine uses are bound (device query, streams, malloc/free/memcpy async, events). Module
 * loading and kernel launches go through the driver API ({@link CudaDriver}), which works on the primary context the
 * runtime makes current.
 *
 * <p>Constants carry their C names; {@code CudaAbiTest} checks each against the value compiled from the toolkit
 * headers ({@code src/test/resources/dev/clipengine/cuda/cuda-abi.txt}).
 */
public final class CudaRuntime {

    /** Newest first. 13 and 12 are ABI-compatible for everything bound here (see {@link CudaDeviceProp}). */
    public static final String[] SONAMES = {"libcudart.so.13", "libcudart.so.12"};

    // cudaError_t
    public static final int cudaSuccess = 0;
    public static final int cudaErrorInvalidValue = 1;
    public static final int cudaErrorMemoryAllocation = 2;
    public static final int cudaErrorInitializationError = 3;
    public static final int cudaErrorStubLibrary = 34;
    public static final int cudaErrorInsufficientDriver = 35;
    public static final int cudaErrorCallRequiresNewerDriver = 36;
    public static final int cudaErrorDevicesUnavailable = 46;
    public static final int cudaErrorInvalidDeviceFunction = 98;
    public static final int cudaErrorNoDevice = 100;
    public static final int cudaErrorInvalidDevice = 101;
    public static final int cudaErrorDeviceNotLicensed = 102;
    public static final int cudaErrorNoKernelImageForDevice = 209;
    public static final int cudaErrorInvalidPtx = 218;
    public static final int cudaErrorJitCompilerNotFound = 221;
    public static final int cudaErrorUnsupportedPtxVersion = 222;
    public static final int cudaErrorInvalidResourceHandle = 400;
    public static final int cudaErrorIllegalAddress = 700;
    public static final int cudaErrorLaunchOutOfResources = 701;
    public static final int cudaErrorLaunchFailure = 719;
    public static final int cudaErrorNotSupported = 801;
    public static final int cudaErrorSystemDriverMismatch = 803;
    public static final int cudaErrorCompatNotSupportedOnDevice = 804;

    // cudaMemcpyKind
    public static final int cudaMemcpyHostToHost = 0;
    public static final int cudaMemcpyHostToDevice = 1;
    public static final int cudaMemcpyDeviceToHost = 2;
    public static final int cudaMemcpyDeviceToDevice = 3;
    public static final int cudaMemcpyDefault = 4;

    // stream and event flags
    public static final int cudaStreamDefault = 0;
    public static final int cudaStreamNonBlocking = 1;
    public static final int cudaEventDefault = 0;
    public static final int cudaEventDisableTiming = 2;

    // cudaDeviceAttr
    public static final int cudaDevAttrMaxThreadsPerBlock = 1;
    public static final int cudaDevAttrWarpSize = 10;
    public static final int cudaDevAttrMultiProcessorCount = 16;
    public static final int cudaDevAttrComputeCapabilityMajor = 75;
    public static final int cudaDevAttrComputeCapabilityMinor = 76;
    public static final int cudaDevAttrMaxSharedMemoryPerBlockOptin = 97;
    public static final int cudaDevAttrMemoryPoolsSupported = 115;

    /** Names for the codes above, used when the library itself cannot be asked (and checked against it in tests). */
    static final Map<Integer, String> ERROR_NAMES = Constants.names(CudaRuntime.class, "cudaSuccess", "cudaError");

    private final NativeLibrary lib;
    private final MethodHandle cudaRuntimeGetVersion, cudaDriverGetVersion, cudaGetDeviceCount, cudaSetDevice,
            cudaGetDevice, cudaGetDeviceProperties, cudaDeviceGetAttribute, cudaMemGetInfo, cudaGetErrorName,
            cudaGetErrorString, cudaGetLastError, cudaDeviceSynchronize, cudaStreamCreateWithFlags, cudaStreamDestroy,
            cudaStreamSynchronize, cudaMalloc, cudaFree, cudaMallocAsync, cudaFreeAsync, cudaMallocHost, cudaFreeHost,
            cudaMemcpy, cudaMemcpyAsync, cudaMemsetAsync, cudaEventCreateWithFlags, cudaEventRecord,
            cudaEventSynchronize, cudaEventElapsedTime, cudaEventDestroy;

    CudaRuntime(NativeLibrary lib) {
        this.lib = lib;
        FunctionDescriptor intOfPtr = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        FunctionDescriptor intOfInt = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
        FunctionDescriptor intOfNone = FunctionDescriptor.of(JAVA_INT);
        cudaRuntimeGetVersion = lib.downcall(intOfPtr, "cudaRuntimeGetVersion");
        cudaDriverGetVersion = lib.downcall(intOfPtr, "cudaDriverGetVersion");
        cudaGetDeviceCount = lib.downcall(intOfPtr, "cudaGetDeviceCount");
        cudaSetDevice = lib.downcall(intOfInt, "cudaSetDevice");
        cudaGetDevice = lib.downcall(intOfPtr, "cudaGetDevice");
        // CUDA 12's header maps the name to _v2 (the struct grew); CUDA 13 exports only the plain name again.
        cudaGetDeviceProperties = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                "cudaGetDeviceProperties_v2", "cudaGetDeviceProperties");
        cudaDeviceGetAttribute = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                "cudaDeviceGetAttribute");
        cudaMemGetInfo = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cudaMemGetInfo");
        cudaGetErrorName = lib.downcall(FunctionDescriptor.of(ADDRESS, JAVA_INT), "cudaGetErrorName");
        cudaGetErrorString = lib.downcall(FunctionDescriptor.of(ADDRESS, JAVA_INT), "cudaGetErrorString");
        cudaGetLastError = lib.downcall(intOfNone, "cudaGetLastError");
        cudaDeviceSynchronize = lib.downcall(intOfNone, "cudaDeviceSynchronize");
        cudaStreamCreateWithFlags = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                "cudaStreamCreateWithFlags");
        cudaStreamDestroy = lib.downcall(intOfPtr, "cudaStreamDestroy");
        cudaStreamSynchronize = lib.downcall(intOfPtr, "cudaStreamSynchronize");
        cudaMalloc = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), "cudaMalloc");
        cudaFree = lib.downcall(intOfPtr, "cudaFree");
        cudaMallocAsync = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS), "cudaMallocAsync");
        cudaFreeAsync = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cudaFreeAsync");
        cudaMallocHost = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), "cudaMallocHost");
        cudaFreeHost = lib.downcall(intOfPtr, "cudaFreeHost");
        cudaMemcpy = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT), "cudaMemcpy");
        cudaMemcpyAsync = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS),
                "cudaMemcpyAsync");
        cudaMemsetAsync = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS),
                "cudaMemsetAsync");
        cudaEventCreateWithFlags = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                "cudaEventCreateWithFlags");
        cudaEventRecord = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cudaEventRecord");
        cudaEventSynchronize = lib.downcall(intOfPtr, "cudaEventSynchronize");
        cudaEventElapsedTime = lib.downcall(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                "cudaEventElapsedTime");
        cudaEventDestroy = lib.downcall(intOfPtr, "cudaEventDestroy");
    }

    /** Opens the newest runtime found, or returns why none could be. Never throws. */
    public static Loaded open() {
        NativeLibrary.Result r = NativeLibrary.open("CUDA runtime", SONAMES);
        return r.loaded() ? new Loaded(new CudaRuntime(r.library()), null) : new Loaded(null, r.problem());
    }

    /** The runtime or the one-line reason it is absent. */
    public record Loaded(CudaRuntime runtime, String problem) {
    }

    public NativeLibrary library() {
        return lib;
    }

    // ---- raw bindings ------------------------------------------------------------------------------------------

    public int cudaRuntimeGetVersion(MemorySegment runtimeVersion) {
        try { return (int) cudaRuntimeGetVersion.invokeExact(runtimeVersion); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaDriverGetVersion(MemorySegment driverVersion) {
        try { return (int) cudaDriverGetVersion.invokeExact(driverVersion); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaGetDeviceCount(MemorySegment count) {
        try { return (int) cudaGetDeviceCount.invokeExact(count); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaSetDevice(int device) {
        try { return (int) cudaSetDevice.invokeExact(device); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaGetDevice(MemorySegment device) {
        try { return (int) cudaGetDevice.invokeExact(device); } catch (Throwable t) { throw rethrow(t); }
    }

    /** {@code prop} must hold at least {@link CudaDeviceProp#ALLOCATION_BYTES} bytes. */
    public int cudaGetDeviceProperties(MemorySegment prop, int device) {
        if (prop.byteSize() < CudaDeviceProp.ALLOCATION_BYTES) {
            throw new IllegalArgumentException("cudaDeviceProp buffer of " + prop.byteSize() + " bytes; need "
                    + CudaDeviceProp.ALLOCATION_BYTES);
        }
        try { return (int) cudaGetDeviceProperties.invokeExact(prop, device); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaDeviceGetAttribute(MemorySegment value, int attr, int device) {
        try { return (int) cudaDeviceGetAttribute.invokeExact(value, attr, device); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaMemGetInfo(MemorySegment free, MemorySegment total) {
        try { return (int) cudaMemGetInfo.invokeExact(free, total); } catch (Throwable t) { throw rethrow(t); }
    }

    /** {@code const char*} (static storage in the library). */
    public MemorySegment cudaGetErrorName(int error) {
        try { return (MemorySegment) cudaGetErrorName.invokeExact(error); } catch (Throwable t) { throw rethrow(t); }
    }

    public MemorySegment cudaGetErrorString(int error) {
        try { return (MemorySegment) cudaGetErrorString.invokeExact(error); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaGetLastError() {
        try { return (int) cudaGetLastError.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaDeviceSynchronize() {
        try { return (int) cudaDeviceSynchronize.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaStreamCreateWithFlags(MemorySegment pStream, int flags) {
        try { return (int) cudaStreamCreateWithFlags.invokeExact(pStream, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaStreamDestroy(MemorySegment stream) {
        try { return (int) cudaStreamDestroy.invokeExact(stream); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaStreamSynchronize(MemorySegment stream) {
        try { return (int) cudaStreamSynchronize.invokeExact(stream); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaMalloc(MemorySegment devPtr, long size) {
        try { return (int) cudaMalloc.invokeExact(devPtr, size); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaFree(MemorySegment devPtr) {
        try { return (int) cudaFree.invokeExact(devPtr); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaMallocAsync(MemorySegment devPtr, long size, MemorySegment stream) {
        try { return (int) cudaMallocAsync.invokeExact(devPtr, size, stream); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaFreeAsync(MemorySegment devPtr, MemorySegment stream) {
        try { return (int) cudaFreeAsync.invokeExact(devPtr, stream); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaMallocHost(MemorySegment ptr, long size) {
        try { return (int) cudaMallocHost.invokeExact(ptr, size); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaFreeHost(MemorySegment ptr) {
        try { return (int) cudaFreeHost.invokeExact(ptr); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaMemcpy(MemorySegment dst, MemorySegment src, long count, int kind) {
        try { return (int) cudaMemcpy.invokeExact(dst, src, count, kind); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaMemcpyAsync(MemorySegment dst, MemorySegment src, long count, int kind, MemorySegment stream) {
        try { return (int) cudaMemcpyAsync.invokeExact(dst, src, count, kind, stream); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaMemsetAsync(MemorySegment devPtr, int value, long count, MemorySegment stream) {
        try { return (int) cudaMemsetAsync.invokeExact(devPtr, value, count, stream); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaEventCreateWithFlags(MemorySegment event, int flags) {
        try { return (int) cudaEventCreateWithFlags.invokeExact(event, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaEventRecord(MemorySegment event, MemorySegment stream) {
        try { return (int) cudaEventRecord.invokeExact(event, stream); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaEventSynchronize(MemorySegment event) {
        try { return (int) cudaEventSynchronize.invokeExact(event); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaEventElapsedTime(MemorySegment ms, MemorySegment start, MemorySegment end) {
        try { return (int) cudaEventElapsedTime.invokeExact(ms, start, end); } catch (Throwable t) { throw rethrow(t); }
    }

    public int cudaEventDestroy(MemorySegment event) {
        try { return (int) cudaEventDestroy.invokeExact(event); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- conveniences ------------------------------------------------------------------------------------------

    /** {@code cudaGetErrorName} from the library, e.g. "cudaErrorNoDevice". */
    public String errorName(int error) {
        return cudaGetErrorName(error).reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** "cudaErrorNoDevice (100): no CUDA-capable device is detected", from the library's own strings. */
    public String describe(int error) {
        return errorName(error) + " (" + error + "): " + cudaGetErrorString(error).reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** Throws {@link CudaException} unless {@code status} is {@code cudaSuccess}. */
    public void check(int status, String call) {
        if (status != cudaSuccess) throw new CudaException("cudart", status, call + " failed: " + describe(status));
    }

    /** The runtime's version as {@code 1000*major + 10*minor} (13000 = 13.0). Needs no driver. */
    public int runtimeVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(cudaRuntimeGetVersion(v), "cudaRuntimeGetVersion");
            return v.get(JAVA_INT, 0);
        }
    }

    /** The newest CUDA version the installed driver supports, 0 when no driver is installed. */
    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(cudaDriverGetVersion(v), "cudaDriverGetVersion");
            return v.get(JAVA_INT, 0);
        }
    }

    /** {@code cudaEventElapsedTime} as a float, for benchmarks. */
    public float elapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(JAVA_FLOAT);
            check(cudaEventElapsedTime(ms, start, end), "cudaEventElapsedTime");
            return ms.get(JAVA_FLOAT, 0);
        }
    }

    /** "13.0" from 13000. */
    public static String versionString(int v) {
        return v / 1000 + "." + (v % 1000) / 10;
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
