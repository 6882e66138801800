package dev.clipengine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ParallelTest {

    @Test
    void parallelForCoversEveryIndexExactlyOnce() {
        try (CpuBackend backend = new CpuBackend(3)) {
            for (int n : new int[] {0, 1, 2, 5, 12, 1000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                backend.parallelFor(n, (from, to) -> {
                    assertTrue(from < to, "chunks are non-empty");
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "index " + i + " of " + n);
                }
            }
        }
    }

    @Test
    void exceptionsFromABodyReachTheCaller() {
        try (CpuBackend backend = new CpuBackend(2)) {
            IllegalStateException thrown = new IllegalStateException("boom");
            IllegalStateException caught = assertThrows(IllegalStateException.class,
                    () -> backend.parallelFor(8, (from, to) -> {
                        if (from == 0) {
                            throw thrown;
                        }
                    }));
            assertSame(thrown, caught);
            // The pool is still usable afterwards.
            AtomicIntegerArray hits = new AtomicIntegerArray(4);
            backend.parallelFor(4, (from, to) -> hits.incrementAndGet(from));
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void gemmInsideParallelForBodiesDoesNotDeadlock() {
        // Per-head attention: each parallelFor chunk runs GEMMs that themselves use the same pool.
        Random rnd = new Random(9);
        int heads = 12, tokens = 50, headDim = 64;
        float[] q = TestData.random(rnd, heads * tokens * headDim);
        float[] k = TestData.random(rnd, heads * tokens * headDim);
        float[] scores = new float[heads * tokens * tokens];
        float[] expected = new float[heads * tokens * tokens];
        try (CpuBackend backend = new CpuBackend(2)) {
            for (int h = 0; h < heads; h++) {
                int off = h * tokens * headDim;
                backend.gemmNT(tokens, tokens, headDim, 0.125f, q, off, headDim, k, off, headDim,
                        expected, h * tokens * tokens, tokens);
            }
            backend.parallelFor(heads, (from, to) -> {
                for (int h = from; h < to; h++) {
                    int off = h * tokens * headDim;
                    backend.gemmNT(tokens, tokens, headDim, 0.125f, q, off, headDim, k, off, headDim,
                            scores, h * tokens * tokens, tokens);
                    backend.softmaxRows(scores, h * tokens * tokens, tokens, tokens, tokens, true, 0);
                    // Nested parallelFor inside a body, too.
                    backend.parallelFor(3, (a, b) -> { });
                }
            });
        }
        for (int h = 0; h < heads; h++) {
            // Recompute the softmax on the serial result to compare like with like.
            int base = h * tokens * tokens;
            try (CpuBackend single = new CpuBackend(1)) {
                single.softmaxRows(expected, base, tokens, tokens, tokens, true, 0);
            }
        }
        assertArrayEquals(expected, scores);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void concurrentCallersShareOneBackend() throws Exception {
        Random rnd = new Random(10);
        int m = 33, n = 130, k = 200;
        WeightMatrix w = WeightMatrix.of(TestData.random(rnd, n * k), n, k);
        float[] bias = TestData.random(rnd, n);
        float[] x = TestData.random(rnd, m * k);
        float[] expected = new float[m * n];
        try (CpuBackend backend = new CpuBackend(2)) {
            backend.linear(x, 0, k, m, w, bias, expected, 0, n);
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    results.add(callers.submit(() -> {
                        float[] y = new float[m * n];
                        for (int rep = 0; rep < 5; rep++) {
                            backend.linear(x, 0, k, m, w, bias, y, 0, n);
                            backend.layerNorm(y, 0, n, m, n, bias, bias, 1e-5f, new float[m * n], 0, n);
                        }
                        return y;
                    }));
                }
                for (Future<float[]> f : results) {
                    assertArrayEquals(expected, f.get(30, TimeUnit.SECONDS));
                }
            } finally {
                callers.shutdownNow();
            }
        }
    }

    @Test
    void sharedBackendIsASingleton() {
        CpuBackend a = CpuBackend.shared();
        assertSame(a, CpuBackend.shared());
        assertEquals(Runtime.getRuntime().availableProcessors(), a.threads());
        a.close(); // ignored for the shared instance
        AtomicIntegerArray hits = new AtomicIntegerArray(10);
        a.parallelFor(10, (from, to) -> {
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
            }
        });
        assertEquals(1, hits.get(9));
    }
}
