package dev.clipengine.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real calls into {@code libcudart} where one is installed. Needs no GPU and no driver: the version query, the error
 * strings and the device count (which then fails with a known status) all work without them.
 */
class CudaRuntimeLibraryTest {

    private static CudaRuntime rt;
    private static String problem;

    @BeforeAll
    static void open() {
        CudaRuntime.Loaded l = CudaRuntime.open();
        rt = l.runtime();
        problem = l.problem();
        if (rt == null) System.err.println("[CUDA] CUDA runtime library tests SKIPPED: " + problem);
    }

    @org.junit.jupiter.api.BeforeEach
    void needsRuntime() {
        Assumptions.assumeTrue(rt != null, "skipped: no CUDA runtime library (" + problem + ")");
    }

    @Test
    void everyBoundFunctionIsExported() {
        assertTrue(rt.library().missingSymbols().isEmpty(), rt.library() + " lacks " + rt.library().missingSymbols());
    }

    @Test
    void runtimeVersionMatchesTheSoname() {
        int v = rt.runtimeVersion();
        String major = rt.library().soname().substring(rt.library().soname().lastIndexOf('.') + 1);
        assertEquals(Integer.parseInt(major), v / 1000, "version " + v + " from " + rt.library());
    }

    @Test
    void errorNamesAgreeWithTheLibrary() {
        for (Map.Entry<Integer, String> e : CudaRuntime.ERROR_NAMES.entrySet()) {
            assertEquals(e.getValue(), rt.errorName(e.getKey()), "cudaGetErrorName(" + e.getKey() + ")");
        }
        String d = rt.describe(CudaRuntime.cudaErrorNoDevice);
        assertTrue(d.startsWith("cudaErrorNoDevice (100): "), d);
        CudaException ex = org.junit.jupiter.api.Assertions.assertThrows(CudaException.class,
                () -> rt.check(CudaRuntime.cudaErrorInsufficientDriver, "cudaGetDeviceCount"));
        assertTrue(ex.getMessage().startsWith("cudaGetDeviceCount failed: cudaErrorInsufficientDriver (35): "),
                ex.getMessage());
    }

    @Test
    void withoutADriverTheDeviceCountFailsCleanly() {
        Assumptions.assumeTrue(CudaDriver.open().driver() == null, "skipped: a CUDA driver is installed here");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int st = rt.cudaGetDeviceCount(n);
            assertTrue(st == CudaRuntime.cudaErrorInsufficientDriver || st == CudaRuntime.cudaErrorNoDevice,
                    "status " + rt.describe(st));
            assertEquals(0, rt.driverVersion(), "cudaDriverGetVersion reports 0 without a driver");
        }
    }
}
