package dev.clipengine.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real calls into {@code libcublas} where one can be found (give a folder with {@code -Dclip.cuda.libpath=...}).
 * Without a device only the version, the status strings and the failure of {@code cublasCreate} can be exercised.
 */
class CublasLibraryTest {

    private static Cublas cublas;
    private static String problem;

    @BeforeAll
    static void open() {
        Cublas.Loaded l = Cublas.open();
        cublas = l.cublas();
        problem = l.problem();
        if (cublas == null) {
            System.err.println("[CUDA] cuBLAS library tests SKIPPED: " + problem + " (pass -D"
                    + NativeLibrary.LIBPATH_PROPERTY + "=DIR to point at one)");
        }
    }

    /** Per test, so each one is reported as skipped rather than the class silently running none. */
    @org.junit.jupiter.api.BeforeEach
    void needsCublas() {
        Assumptions.assumeTrue(cublas != null, "skipped: no cuBLAS library (" + problem
                + "); pass -D" + NativeLibrary.LIBPATH_PROPERTY + "=DIR to point at one");
    }

    @Test
    void everyBoundFunctionIsExported() {
        assertTrue(cublas.library().missingSymbols().isEmpty(),
                cublas.library() + " lacks " + cublas.library().missingSymbols());
    }

    @Test
    void versionMatchesTheSoname() {
        String v = cublas.version();
        String major = cublas.library().soname().substring(cublas.library().soname().lastIndexOf('.') + 1);
        assertTrue(v.startsWith(major + "."), v + " from " + cublas.library());
    }

    @Test
    void statusNamesAgreeWithTheLibrary() {
        for (Map.Entry<Integer, String> e : Cublas.STATUS_NAMES.entrySet()) {
            String lib = cublas.cublasGetStatusName(e.getKey()).reinterpret(Long.MAX_VALUE).getString(0);
            assertEquals(e.getValue(), lib, "cublasGetStatusName(" + e.getKey() + ")");
        }
    }

    @Test
    void createWithoutADeviceFailsWithAStatusNotACrash() {
        Assumptions.assumeTrue(CudaDriver.open().driver() == null, "skipped: a CUDA driver is installed here");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment handle = a.allocate(ADDRESS);
            int st = cublas.cublasCreate(handle);
            assertEquals(Cublas.CUBLAS_STATUS_NOT_INITIALIZED, st, cublas.describe(st));
        }
    }
}
