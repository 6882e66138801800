package dev.clipengine.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exported symbol names the bindings ask for against the names the CUDA headers resolve the C functions to. Runs
 * without any CUDA library: the bindings are built over a lookup that answers every name with a dummy address (the
 * handles are made, never called), which also proves every {@code FunctionDescriptor} is accepted by the linker.
 */
class CudaSymbolsTest {

    /** A lookup that pretends to export everything; handles made from it must never be invoked. */
    private static final SymbolLookup EVERYTHING = name -> Optional.of(MemorySegment.ofAddress(0x1000));

    static List<List<String>> runtimeSymbols() {
        return new CudaRuntime(NativeLibrary.over("fake cudart", EVERYTHING)).library().requestedSymbols();
    }

    static List<List<String>> driverSymbols() {
        return new CudaDriver(NativeLibrary.over("fake libcuda", EVERYTHING)).library().requestedSymbols();
    }

    static List<List<String>> cublasSymbols() {
        return new Cublas(NativeLibrary.over("fake cublas", EVERYTHING)).library().requestedSymbols();
    }

    @Test
    void bindingsCreateAllHandles() {
        assertEquals(29, runtimeSymbols().size());
        assertEquals(17, driverSymbols().size());
        assertEquals(13, cublasSymbols().size());
    }

    @Test
    void symbolNamesMatchTheHeaders(@TempDir Path tmp) throws Exception {
        Path include = CudaTestSupport.cudaInclude();
        Assumptions.assumeTrue(include != null, "skipped: no CUDA toolkit headers (cuda.h) on this machine");
        Assumptions.assumeTrue(CudaTestSupport.hasTool("gcc") && CudaTestSupport.hasTool("nm"),
                "skipped: gcc or nm missing");
        Path src = CudaTestSupport.moduleDir().resolve("src/test/c/cuda_symbols.c");
        CudaTestSupport.run(tmp, "gcc", "-c", "-I" + include, src.toString(), "-o", "syms.o");
        Set<String> header = new TreeSet<>();
        for (String line : CudaTestSupport.run(tmp, "nm", "-u", "syms.o").split("\n")) {
            String s = line.trim();
            if (s.startsWith("U ")) header.add(s.substring(2).trim());
        }
        List<List<String>> bound = new ArrayList<>(runtimeSymbols());
        bound.addAll(driverSymbols());
        assertEquals(bound.size(), header.size(), "one header function per binding: " + header);
        for (String h : header) {
            assertTrue(bound.stream().anyMatch(g -> g.contains(h)), "the header resolves to " + h
                    + " but no binding asks for it; bound: " + bound);
        }
        for (List<String> group : bound) {
            assertTrue(group.stream().anyMatch(header::contains), "binding " + group + " is not what the header names");
        }
    }
}
