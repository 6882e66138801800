package dev.clipengine.kernels.cuda;

import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.BackendContractTest;

/**
 * The backend contract on a GPU with FP32 GEMMs (tolerance justified in {@link BackendContractTest}). Skipped, with
 * the probe's reason, where there is no usable CUDA device. NEVER RUN YET: written on a machine without a GPU.
 */
class CudaFp32ContractTest extends BackendContractTest {

    private CudaBackend backend;

    @Override
    protected double gemmInputRounding() {
        return 0;
    }

    @Override
    protected Backend backend() {
        if (backend == null) backend = CudaContractSupport.openOrSkip(Precision.FP32);
        return backend;
    }

    @Override
    protected void closeBackendIfOpen() {
        if (backend != null) backend.close();
    }
}
