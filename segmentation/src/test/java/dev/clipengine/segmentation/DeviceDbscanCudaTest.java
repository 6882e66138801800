package dev.clipengine.segmentation;

import dev.clipengine.cuda.CudaProbe;
import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Backends;
import dev.clipengine.kernels.cuda.Precision;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DBSCAN with its steps on a real GPU (through the {@link Backend} interface) against {@link Dbscan#run} on the CPU.
 * Skipped, saying why, without a usable CUDA device. NEVER RUN YET (written without a GPU).
 */
class DeviceDbscanCudaTest {

    private static Backend cuda;
    private static String reason;

    @BeforeAll
    static void open() {
        CudaProbe.Report r = Backends.probeCuda(0);
        reason = r.line();
        if (!r.usable()) {
            System.err.println("[CUDA] device DBSCAN tests SKIPPED, no usable device: " + reason);
            return;
        }
        cuda = Backends.cuda(0, Precision.TF32);   // TF32 on purpose: the Gram matrix must stay fp32 regardless
    }

    /** Per test, so each one is reported as skipped. */
    @org.junit.jupiter.api.BeforeEach
    void needsDevice() {
        Assumptions.assumeTrue(cuda != null, "CUDA tests skipped, no usable device: " + reason);
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
    }

    @Test
    void identicalToTheCpuOnSegmentationShapedInputs() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int n : new int[] {1, 31, 33, 196, 441, 1024}) {
            float[] m = new float[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    m[i * n + j] = (float) Math.max(0, (i % 6 == j % 6 ? 0.6 : 0.1) + rnd.nextGaussian() * 0.05);
                }
            }
            for (double eps : new double[] {0.8, 1.5, 3.0}) {
                Dbscan.Result want = Dbscan.run(m, n, n, eps, 5);
                Dbscan.Result got = DeviceDbscan.run(cuda, m, n, n, eps, 5);
                assertArrayEquals(want.labels(), got.labels(), "n=" + n + " eps=" + eps);
                assertEquals(want.clusters(), got.clusters());
                assertEquals(want.noise(), got.noise());
            }
        }
    }

    @Test
    void tiesOnTheEpsBoundary() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int rep = 0; rep < 20; rep++) {
            int n = 20 + rnd.nextInt(300), dim = 2 + rnd.nextInt(3);
            float[] x = new float[n * dim];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextInt(8);
            assertArrayEquals(Dbscan.fit(x, n, dim, 1.0, 3), DeviceDbscan.fit(cuda, x, n, dim, 1.0, 3), "rep " + rep);
        }
    }
}
