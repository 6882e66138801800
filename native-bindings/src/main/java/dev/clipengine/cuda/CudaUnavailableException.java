package dev.clipengine.cuda;

/** A CUDA library, driver or device that is needed is absent or too old; the message is one line for the user. */
public final class CudaUnavailableException extends RuntimeException {
    public CudaUnavailableException(String message) {
        super(message);
    }
}
