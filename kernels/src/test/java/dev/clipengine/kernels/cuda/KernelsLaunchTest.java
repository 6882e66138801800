package dev.clipengine.kernels.cuda;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every typed launch of {@link Kernels} against the parameter list the PTX declares for that kernel, and the launch
 * shapes against what the kernels assume, through a recording launcher: no GPU needed. A wrong argument order of the
 * same sizes is not caught here (BackendContractTest on a GPU catches those).
 */
class KernelsLaunchTest {

    record Launch(String kernel, Launcher.Dim3 grid, Launcher.Dim3 block, KernelArgs args) {
    }

    private static final MemorySegment P = MemorySegment.ofAddress(0x10_0000);

    @Test
    void everyLaunchMatchesThePtxSignatureAndEveryKernelIsLaunched() {
        Map<String, List<PtxModule.ParamType>> sig = PtxModule.load().entries();
        List<Launch> launches = new ArrayList<>();
        Kernels k = new Kernels((name, grid, block, shared, args) -> launches.add(new Launch(name, grid, block, args)));
        int n = 1025;
        k.layerNorm(P, 768, P, 768, P, P, 197, 768, 1e-5f);
        k.softmaxRows(P, 197, 12 * 197, 197, true, 0, 197);
        k.quickGelu(P, 197L * 3072);
        k.add(P, P, 197L * 768);
        k.biasAdd(P, 768, P, 197, 768);
        k.biasQuickGelu(P, 3072, P, 197, 3072);
        k.copyRows(P, 3 * 768, P, 768, 197, 768);
        k.f32ToBf16(P, P, 1000);
        k.cosineNormalize(P, 36, 197, 1f / 36, P);
        k.bilinear(P, 21, 14, 14, P, 336, 336);
        k.median(P, 21, 56, 56, 7, P);
        k.dbscanSqNorms(P, n, n, P);
        k.dbscanNeighbours(P, P, P, n, n, 0.25, 1e-6, 1e-40, P, P);
        k.dbscanCore(P, n, 5, P, P, P);
        k.dbscanPropagate(P, P, P, n, P, P);
        k.dbscanJump(P, n, P, P);
        k.dbscanNumber(P, P, n, P, P);
        k.dbscanLabels(P, P, P, P, P, n, P);

        Set<String> launched = new TreeSet<>();
        for (Launch l : launches) {
            assertTrue(sig.containsKey(l.kernel()), l.kernel() + " is not in the PTX");
            assertTrue(l.args().matches(sig.get(l.kernel())), l.kernel() + ": Java passes " + l.args().types()
                    + ", PTX declares " + sig.get(l.kernel()));
            launched.add(l.kernel());
            int threads = l.block().x() * l.block().y() * l.block().z();
            assertTrue(threads <= 1024, l.kernel() + " block of " + threads);
            if (l.kernel().startsWith("dbscan_") && !l.kernel().equals("dbscan_number")) {
                assertEquals(0, l.block().x() % 32, l.kernel() + ": ballot word packing needs whole warps");
                assertTrue((long) l.grid().x() * l.block().x() >= n, l.kernel() + " covers every point");
            }
            if (l.kernel().equals("dbscan_neighbours")) assertEquals(n, l.grid().y(), "one block row per point");
            if (l.kernel().equals("layer_norm_f32")) assertEquals(197, l.grid().x(), "one block per row");
            if (l.kernel().equals("softmax_rows_f32")) assertEquals(12 * 197, l.grid().x(), "one block per row");
        }
        assertEquals(sig.keySet(), launched, "kernels in the PTX without a Java launcher");
    }

    @Test
    void javaConstantsMatchTheCudaSource() throws Exception {
        String cu = Files.readString(PtxResourceTest.moduleDir().resolve("src/main/cuda/clip_kernels.cu"));
        assertTrue(cu.contains("#define ROW_THREADS " + Kernels.ROW_THREADS + "\n"), "ROW_THREADS");
        assertTrue(cu.contains("#define MEDIAN_MAX_K " + Kernels.MEDIAN_MAX_K + "\n"), "MEDIAN_MAX_K");
    }

    @Test
    void elementwiseGridIsCappedAndNeverEmpty() {
        assertEquals(1, Kernels.elementwiseGrid(0).x());
        assertEquals(1, Kernels.elementwiseGrid(256).x());
        assertEquals(2, Kernels.elementwiseGrid(257).x());
        assertEquals(Kernels.MAX_BLOCKS, Kernels.elementwiseGrid(1L << 40).x());
    }

    @Test
    void medianWindowBeyondTheKernelArrayIsRefused() {
        Kernels k = new Kernels((name, grid, block, shared, args) -> { });
        assertThrows(IllegalArgumentException.class, () -> k.median(P, 1, 8, 8, Kernels.MEDIAN_MAX_K + 1, P));
    }

    @Test
    void argumentsAreMarshalledAsCuLaunchKernelReadsThem() {
        KernelArgs a = new KernelArgs().ptr(P).i32(-7).i64(1L << 40).f32(1.5f).f64(0.25);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = a.marshal(arena).reinterpret(5 * ADDRESS.byteSize());
            MemorySegment[] slots = new MemorySegment[5];
            for (int i = 0; i < 5; i++) slots[i] = params.getAtIndex(ADDRESS, i).reinterpret(8);
            assertEquals(P.address(), slots[0].get(ADDRESS, 0).address());
            assertEquals(-7, slots[1].get(JAVA_INT, 0));
            assertEquals(1L << 40, slots[2].get(JAVA_LONG, 0));
            assertEquals(1.5f, slots[3].get(JAVA_FLOAT, 0));
            assertEquals(0.25, slots[4].get(JAVA_DOUBLE, 0));
        }
        assertTrue(a.matches(List.of(PtxModule.ParamType.U64, PtxModule.ParamType.U32, PtxModule.ParamType.U64,
                PtxModule.ParamType.F32, PtxModule.ParamType.F64)));
        assertTrue(!a.matches(List.of(PtxModule.ParamType.U64, PtxModule.ParamType.U32, PtxModule.ParamType.U64,
                PtxModule.ParamType.U32, PtxModule.ParamType.F64)), "a float where an int is declared");
    }

    @Test
    void bf16RoundingIsNearestEven() {
        assertEquals((short) 0x3f80, CudaBackend.floatToBf16(1f));
        // 1 + 2^-8 is exactly half way between bf16 1.0 and 1.0078125: ties to even (1.0)
        assertEquals((short) 0x3f80, CudaBackend.floatToBf16(Float.intBitsToFloat(0x3f808000)));
        // 1 + 3·2^-8 is half way between 0x3f81 and 0x3f82: ties to even (0x3f82)
        assertEquals((short) 0x3f82, CudaBackend.floatToBf16(Float.intBitsToFloat(0x3f818000)));
        assertEquals((short) 0x3f81, CudaBackend.floatToBf16(Float.intBitsToFloat(0x3f808001)));
        assertEquals((short) 0x7f80, CudaBackend.floatToBf16(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(Float.intBitsToFloat(CudaBackend.floatToBf16(Float.NaN) << 16)));
    }
}
