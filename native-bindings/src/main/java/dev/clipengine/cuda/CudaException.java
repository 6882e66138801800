package dev.clipengine.cuda;

/** A CUDA runtime, driver or cuBLAS call returned an error status. */
public final class CudaException extends RuntimeException {

    private final String api;
    private final int status;

    public CudaException(String api, int status, String message) {
        super(message);
        this.api = api;
        this.status = status;
    }

    /** "cudart", "cuda" (driver) or "cublas". */
    public String api() {
        return api;
    }

    /** The raw status code the call returned. */
    public int status() {
        return status;
    }
}
