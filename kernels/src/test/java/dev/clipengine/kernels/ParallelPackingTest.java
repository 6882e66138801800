package dev.clipengine.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Packing spread over a pool (the first forward's critical path) writes exactly what one thread writes. */
class ParallelPackingTest {

    /** N not a multiple of the panel width, K across several depth blocks, and tiny ones. */
    static final int[][] SHAPES = {{3 * Gemm.NR + 5, 2 * Gemm.KC + 7}, {Gemm.NR, 3}, {1, 1}, {7 * Gemm.NR, Gemm.KC}};

    @ParameterizedTest
    @EnumSource(Storage.class)
    void sameBitsOnAPoolAsOnOneThread(Storage storage) {
        Random rnd = new Random(5 + storage.ordinal());
        try (WorkPool pool = new WorkPool(3, true); Arena shared = Arena.ofShared(); Arena confined = Arena.ofConfined()) {
            for (int[] s : SHAPES) {
                for (Arena arena : new Arena[] {shared, confined}) {
                    WeightMatrix w = TestData.weights(TestData.random(rnd, s[0] * s[1]), s[0], s[1], storage,
                            TestData.Placement.UNALIGNED, arena);
                    // confined weights cannot be read by the pool's threads: packed on the caller, no WrongThreadException
                    assertArrayEquals(PackedLinear.of(w).data(), PackedLinear.of(w, pool).data(),
                            storage + " " + s[0] + "x" + s[1] + (arena == confined ? " confined" : " shared"));
                }
            }
        }
    }
}
