package dev.clipengine.kernels;

import dev.clipengine.cuda.CudaProbe;
import dev.clipengine.cuda.CudaUnavailableException;
import dev.clipengine.kernels.cuda.CudaBackend;
import dev.clipengine.kernels.cuda.Precision;

/**
 * Where {@link Backend}s come from, so that no code outside this module names an implementation: the process-wide CPU
 * backend, and a CUDA device after its probe.
 */
public final class Backends {

    private Backends() {
    }

    /** The process-wide CPU backend (one thread per available processor); closing it is a no-op. */
    public static Backend cpu() {
        return CpuBackend.shared();
    }

    /** Threads of the process-wide CPU backend. */
    public static int cpuThreads() {
        return CpuBackend.shared().threads();
    }

    /**
     * Probes CUDA device {@code ordinal} against what the engine's kernels need (driver, runtime, cuBLAS, compute
     * capability). Never throws for a missing GPU or library: the report says why in one line.
     */
    public static CudaProbe.Report probeCuda(int ordinal) {
        return CudaProbe.probe(ordinal, CudaBackend.requirements());
    }

    /**
     * Opens CUDA device {@code ordinal}; the caller closes it after the models that use it.
     *
     * @throws CudaUnavailableException with the probe's one-line reason when the device cannot be used
     */
    public static Backend cuda(int ordinal, Precision precision) {
        return CudaBackend.open(ordinal, precision);
    }
}
