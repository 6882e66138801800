package dev.clipengine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Finds out, without ever throwing, whether a CUDA device can be used: driver library, driver version, runtime,
 * device, compute capability, cuBLAS, in that order, stopping at the first thing missing with a one-line reason such
 * as {@code no CUDA driver: libcuda.so.1 not found}.
 *
 * <p>Runtime and cuBLAS sonames are chosen to suit the driver: a CUDA 13 library needs a driver that supports CUDA 13,
 * so with a 12.x driver {@code libcudart.so.13} is skipped in favour of {@code libcudart.so.12} (CUDA's minor-version
 * compatibility makes any 12.x library work on any 12.x driver).
 */
public final class CudaProbe {

    private CudaProbe() {
    }

    /** What the caller needs of a device. */
    public record Requirements(int minComputeMajor, int minComputeMinor, int minDriverVersion, String why) {
        /** No requirement beyond a working device. */
        public static final Requirements ANY = new Requirements(0, 0, 0, "");
    }

    /** A usable device. */
    public record Device(int ordinal, String name, int computeMajor, int computeMinor, int multiprocessors,
                         long totalMemory) {
        public String describe() {
            return "cuda:" + ordinal + " " + name + " (compute " + computeMajor + "." + computeMinor + ", "
                    + multiprocessors + " SMs, " + String.format("%.1f", totalMemory / (double) (1L << 30)) + " GiB)";
        }
    }

    /**
     * The outcome. When {@link #usable()} the loaded libraries are handed over so the backend does not open them again;
     * otherwise {@link #reason()} says in one line what is missing.
     */
    public record Report(boolean usable, String reason, Device device, int driverVersion, int runtimeVersion,
                         CudaDriver driver, CudaRuntime runtime, Cublas cublas, String cublasVersion) {

        /** One line for the log: the device and library versions, or the reason it cannot be used. */
        public String line() {
            if (!usable) return reason;
            return device.describe() + ", driver " + CudaRuntime.versionString(driverVersion) + ", "
                    + runtime.library().soname() + " " + CudaRuntime.versionString(runtimeVersion) + ", cuBLAS "
                    + cublasVersion;
        }

        static Report unusable(String reason, int driverVersion) {
            return new Report(false, reason, null, driverVersion, 0, null, null, null, null);
        }
    }

    /**
     * Probes device {@code ordinal}. Never throws: any failure, including an unexpected error from a library, ends up
     * in {@link Report#reason()}.
     */
    public static Report probe(int ordinal, Requirements req) {
        try {
            return probeOrThrow(ordinal, req);
        } catch (RuntimeException | LinkageError e) {
            return Report.unusable("CUDA probe failed: " + e, 0);
        }
    }

    private static Report probeOrThrow(int ordinal, Requirements req) {
        CudaDriver.Loaded d = CudaDriver.open();
        if (d.driver() == null) return Report.unusable("no CUDA driver: " + d.problem(), 0);
        CudaDriver driver = d.driver();
        int driverVersion = driver.driverVersion();
        String dv = CudaRuntime.versionString(driverVersion);
        if (driverVersion < req.minDriverVersion()) {
            return Report.unusable("CUDA driver " + dv + " is too old: " + req.why() + " needs "
                    + CudaRuntime.versionString(req.minDriverVersion()) + " or newer", driverVersion);
        }
        int init = driver.cuInit(0);
        if (init == CudaDriver.CUDA_ERROR_NO_DEVICE) return Report.unusable("no CUDA device (driver " + dv + ")", driverVersion);
        if (init != CudaDriver.CUDA_SUCCESS) {
            return Report.unusable("CUDA driver " + dv + " failed to initialise: " + driver.describe(init), driverVersion);
        }

        int driverMajor = driverVersion / 1000;
        NativeLibrary.Result rt = NativeLibrary.open("CUDA runtime", suited(CudaRuntime.SONAMES, driverMajor));
        if (!rt.loaded()) {
            return Report.unusable("no CUDA runtime for driver " + dv + ": " + rt.problem(), driverVersion);
        }
        CudaRuntime runtime = new CudaRuntime(rt.library());
        int runtimeVersion = runtime.runtimeVersion();

        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(JAVA_INT);
            int st = runtime.cudaGetDeviceCount(count);
            if (st == CudaRuntime.cudaErrorNoDevice) return Report.unusable("no CUDA device (driver " + dv + ")", driverVersion);
            if (st != CudaRuntime.cudaSuccess) {
                return Report.unusable("CUDA runtime " + CudaRuntime.versionString(runtimeVersion) + " on driver " + dv
                        + ": " + runtime.describe(st), driverVersion);
            }
            int n = count.get(JAVA_INT, 0);
            if (n == 0) return Report.unusable("no CUDA device (driver " + dv + ")", driverVersion);
            if (ordinal < 0 || ordinal >= n) {
                return Report.unusable("cuda:" + ordinal + " requested but the driver reports " + n + " device"
                        + (n == 1 ? " (cuda:0)" : "s (cuda:0..cuda:" + (n - 1) + ")"), driverVersion);
            }
            int major = attribute(runtime, a, CudaRuntime.cudaDevAttrComputeCapabilityMajor, ordinal);
            int minor = attribute(runtime, a, CudaRuntime.cudaDevAttrComputeCapabilityMinor, ordinal);
            int sms = attribute(runtime, a, CudaRuntime.cudaDevAttrMultiProcessorCount, ordinal);
            MemorySegment prop = a.allocate(CudaDeviceProp.ALLOCATION_BYTES, 8);
            runtime.check(runtime.cudaGetDeviceProperties(prop, ordinal), "cudaGetDeviceProperties");
            Device device = new Device(ordinal, CudaDeviceProp.name(prop), major, minor, sms,
                    CudaDeviceProp.totalGlobalMem(prop));
            if (major < req.minComputeMajor() || (major == req.minComputeMajor() && minor < req.minComputeMinor())) {
                return Report.unusable("cuda:" + ordinal + " " + device.name() + " has compute capability " + major
                        + "." + minor + "; " + req.why() + " needs " + req.minComputeMajor() + "."
                        + req.minComputeMinor() + " or newer", driverVersion);
            }

            NativeLibrary.Result cb = NativeLibrary.open("cuBLAS", suited(Cublas.SONAMES, driverMajor));
            if (!cb.loaded()) return Report.unusable("no cuBLAS for driver " + dv + ": " + cb.problem(), driverVersion);
            Cublas cublas = new Cublas(cb.library());
            return new Report(true, null, device, driverVersion, runtimeVersion, driver, runtime, cublas,
                    cublas.version());
        }
    }

    private static int attribute(CudaRuntime rt, Arena a, int attr, int device) {
        MemorySegment v = a.allocate(JAVA_INT);
        rt.check(rt.cudaDeviceGetAttribute(v, attr, device), "cudaDeviceGetAttribute(" + attr + ")");
        return v.get(JAVA_INT, 0);
    }

    /**
     * The sonames whose major version the driver supports, newest first ({@code libX.so.13} needs a 13.x driver).
     * Package-private for tests.
     */
    static String[] suited(String[] sonames, int driverMajor) {
        List<String> out = new ArrayList<>();
        for (String s : sonames) {
            int major = Integer.parseInt(s.substring(s.lastIndexOf('.') + 1));
            if (major <= driverMajor) out.add(s);
        }
        if (out.isEmpty()) return sonames;   // let the loader report what it could not find
        return out.toArray(String[]::new);
    }
}
