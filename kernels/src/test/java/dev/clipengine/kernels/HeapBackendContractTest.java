package dev.clipengine.kernels;

/** The contract on the CPU through {@link HeapBackend}: runs everywhere, and proves the contract test itself. */
class HeapBackendContractTest extends BackendContractTest {

    private final HeapBackend backend = new HeapBackend();

    @Override
    protected double gemmInputRounding() {
        return 0;
    }

    @Override
    protected Backend backend() {
        return backend;
    }
}
