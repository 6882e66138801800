package dev.clipengine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 case 9: the packed-weights budget is given back when the weights' memory is closed (a model's
 * close() closes the mapping its weights are slices of) or the packed copy is collected; before, it was
 * never given back and from the 7th ViT-B/16 load in one JVM nothing was packed.
 */
class PackedLinearBudgetTest {

    static WeightMatrix weights(Arena arena, int rows, int cols) {
        MemorySegment m = arena.allocate((long) rows * cols * 4, 64);
        for (long i = 0; i < (long) rows * cols; i++) m.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, i % 7);
        return new WeightMatrix(m, Storage.F32, rows, cols);
    }

    @Test
    void closingTheWeightsReturnsTheirPackedBytes() {
        long before = PackedLinear.packedBytes();
        long each = 4L * 2 * Gemm.NR * 64; // 2 panels of NR columns, depth 64
        Arena arena = Arena.ofShared();
        PackedLinear a = PackedLinear.tryPack(weights(arena, 2 * Gemm.NR, 64));
        PackedLinear b = PackedLinear.tryPack(weights(arena, 2 * Gemm.NR - 3, 64));
        assertNotNull(a);
        assertNotNull(b);
        assertEquals(before + 2 * each, PackedLinear.packedBytes());
        arena.close();
        assertEquals(before, PackedLinear.packedBytes(), "closed weights no longer count");
        assertEquals(2 * Gemm.NR, a.rows()); // the packed copies themselves stay usable objects
    }

    @Test
    void heapWeightsCountUntilTheirPackingIsCollected() throws InterruptedException {
        long before = PackedLinear.packedBytes();
        PackedLinear p = PackedLinear.tryPack(WeightMatrix.of(new float[Gemm.NR * 32], Gemm.NR, 32));
        assertNotNull(p);
        assertEquals(before + 4L * Gemm.NR * 32, PackedLinear.packedBytes());
        p = null;
        for (int i = 0; i < 50 && PackedLinear.packedBytes() != before; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(before, PackedLinear.packedBytes(), "a collected packing no longer counts");
        assertTrue(p == null);
    }

    @Test
    void aFullBudgetIsRefilledByClosedModelsBeforeRefusing() {
        // fill the budget with packings of weights that are then closed; the next packing must still succeed
        long budget = PackedLinear.budget();
        int rows = Gemm.NR * 64, cols = 1024;
        long each = 4L * rows * cols;
        Arena arena = Arena.ofShared();
        WeightMatrix w = weights(arena, rows, cols);
        int packed = 0;
        java.util.List<PackedLinear> keep = new java.util.ArrayList<>();
        while (packed * each <= budget + each) {
            PackedLinear p = PackedLinear.tryPack(w);
            if (p == null) break;
            keep.add(p);
            packed++;
        }
        assertTrue(PackedLinear.tryPack(w) == null, "the budget is spent");
        arena.close();
        try (Arena fresh = Arena.ofConfined()) {
            assertNotNull(PackedLinear.tryPack(weights(fresh, rows, cols)), "closed weights gave their budget back");
        }
        assertTrue(keep.size() > 0);
    }
}
