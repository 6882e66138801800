package dev.clipengine.device;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendSelectorTest {

    private static final BackendSelector.Probe NONE =
            new BackendSelector.Probe(false, "no CUDA driver: libcuda.so.1 not found");
    private static final BackendSelector.Probe GPU = new BackendSelector.Probe(true,
            "cuda:0 NVIDIA H100 80GB HBM3 (compute 9.0, 132 SMs, 79.1 GiB), driver 12.4, libcudart.so.12 12.4, cuBLAS 12.4.5");

    @Test
    void parsesTheOptionValues() {
        assertEquals(new BackendSelector.Spec("auto", 0, false), BackendSelector.parse(null));
        assertEquals(new BackendSelector.Spec("auto", 0, true), BackendSelector.parse("auto"));
        assertEquals(new BackendSelector.Spec("cpu", -1, true), BackendSelector.parse("CPU"));
        assertEquals(new BackendSelector.Spec("cuda", 0, true), BackendSelector.parse("cuda"));
        assertEquals(new BackendSelector.Spec("cuda", 3, true), BackendSelector.parse("cuda:3"));
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackendSelector.parse(bad));
            assertTrue(e.getMessage().startsWith("--device must be auto, cpu, cuda or cuda:N"), e.getMessage());
        }
    }

    @Test
    void withoutAGpuTheDefaultIsQuietAndExplicitAutoSaysWhy() {
        assertEquals(new BackendSelector.Selection("cpu", null), BackendSelector.select(BackendSelector.parse(null), o -> NONE));
        assertEquals(new BackendSelector.Selection("cpu", "device: cpu (no CUDA driver: libcuda.so.1 not found)"),
                BackendSelector.select(BackendSelector.parse("auto"), o -> NONE));
        assertEquals("device: cpu (requested with --device cpu)",
                BackendSelector.select(BackendSelector.parse("cpu"), o -> GPU).logLine());
    }

    @Test
    void explicitCudaWithoutAGpuIsRefusedInOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackendSelector.select(BackendSelector.parse("cuda:1"), o -> NONE));
        assertEquals("--device cuda:1: no CUDA driver: libcuda.so.1 not found", e.getMessage());
    }

    @Test
    void explicitCudaWithAUsableGpuRunsThere() {
        BackendSelector.Selection s = BackendSelector.select(BackendSelector.parse("cuda"), o -> GPU);
        assertEquals("cuda:0", s.device());
        assertTrue(s.cuda());
        assertEquals("device: " + GPU.line(), s.logLine());
        assertEquals("cuda:3", BackendSelector.select(BackendSelector.parse("cuda:3"), o -> GPU).device());
    }

    @Test
    void autoStaysOnTheCpuUntilCudaIsValidated() {
        assertFalse(BackendSelector.AUTO_PICKS_CUDA, "update this test when auto may pick the GPU");
        assertNull(BackendSelector.select(BackendSelector.parse(null), o -> GPU).logLine(), "quiet by default");
        BackendSelector.Selection s = BackendSelector.select(BackendSelector.parse("auto"), o -> GPU);
        assertEquals("cpu", s.device());
        assertTrue(s.logLine().startsWith("device: cpu (cuda:0 NVIDIA H100"), s.logLine());
        assertTrue(s.logLine().contains("--device cuda uses it"), s.logLine());
        assertFalse(s.logLine().contains("\n"));
    }

    @Test
    void onceValidatedAutoTakesAUsableGpuAndOtherwiseTheCpuSilently() {
        BackendSelector.Selection gpu = BackendSelector.select(BackendSelector.parse(null), o -> GPU, true);
        assertEquals("cuda:0", gpu.device());
        assertEquals("device: " + GPU.line(), gpu.logLine());
        assertEquals(new BackendSelector.Selection("cpu", null),
                BackendSelector.select(BackendSelector.parse(null), o -> NONE, true));
    }

    @Test
    void theCpuSelectionOpensTheSharedCpu() {
        var backend = BackendSelector.open(new BackendSelector.Selection("cpu", null));
        assertEquals("cpu", backend.name());
        assertEquals(dev.clipengine.kernels.Backends.cpu(), backend);
    }

    @Test
    void theDefaultDeviceValueOpensTheNamedBackend() {
        if (System.getProperty(BackendSelector.DEFAULT_DEVICE_PROPERTY) == null) {
            assertEquals(dev.clipengine.kernels.Backends.cpu(), BackendSelector.processDefault());
        }
        assertEquals(dev.clipengine.kernels.Backends.cpu(), BackendSelector.open((String) null));
        assertEquals(dev.clipengine.kernels.Backends.cpu(), BackendSelector.open("cpu"));
        assertThrows(IllegalArgumentException.class, () -> BackendSelector.open("tpu"));
        Assumptions.assumeTrue(BackendSelector.select("auto").logLine().contains("libcuda.so.1 not found"),
                "a CUDA driver is installed here");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackendSelector.open("cuda:2"));
        assertEquals("--device cuda:2: no CUDA driver: libcuda.so.1 not found", e.getMessage());
    }

    @Test
    void realProbeOnThisMachine() {
        BackendSelector.Selection s = BackendSelector.select("auto");
        assertEquals("cpu", s.device());
        assertTrue(s.logLine().startsWith("device: cpu ("), s.logLine());
        assertEquals(1, s.logLine().lines().count());
        Assumptions.assumeTrue(s.logLine().contains("libcuda.so.1 not found"), "a CUDA driver is installed here");
        assertEquals("device: cpu (no CUDA driver: libcuda.so.1 not found)", s.logLine());
    }
}
