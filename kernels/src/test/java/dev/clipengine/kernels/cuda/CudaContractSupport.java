package dev.clipengine.kernels.cuda;

import dev.clipengine.cuda.CudaProbe;
import org.junit.jupiter.api.Assumptions;

/** Opens the CUDA backend for a contract test, or skips the test saying which device or library is missing. */
final class CudaContractSupport {

    private CudaContractSupport() {
    }

    /** Device ordinal for the GPU tests: -Dclip.cuda.device=N, default 0. */
    static int ordinal() {
        return Integer.getInteger("clip.cuda.device", 0);
    }

    private static final java.util.Set<String> ANNOUNCED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static CudaBackend openOrSkip(Precision precision) {
        CudaProbe.Report r = CudaProbe.probe(ordinal(), CudaBackend.requirements());
        if (!r.usable() && ANNOUNCED.add(precision.name())) {
            // said once per class on the console, not only in the reports: these tests prove nothing on this machine
            System.err.println("[CUDA] " + precision + " contract tests SKIPPED, no usable device: " + r.line());
        }
        Assumptions.assumeTrue(r.usable(), "CUDA tests skipped, no usable device: " + r.line());
        return CudaBackend.open(ordinal(), precision);
    }
}
