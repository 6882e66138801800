package dev.clipengine.kernels.cuda;

import dev.clipengine.kernels.Backend;

import java.lang.foreign.MemorySegment;

/**
 * A block of device memory from {@link CudaBackend#allocateBytes}. As a {@link Backend.Buffer} it is a float array
 * ({@link #length()} = bytes / 4); the DBSCAN kernels also keep ints, doubles and bit words in it.
 *
 * <p>The address is a plain number wrapped in a zero-length {@link MemorySegment}: it must never be dereferenced on the
 * host, only passed to CUDA. Closing frees it on the backend's stream (stream-ordered, so work already queued that
 * uses it completes first). NEVER EXECUTED on a GPU (see GPU-TODO.md).
 */
public final class DeviceMemory implements Backend.Buffer {

    private final CudaBackend owner;
    private final long address;
    private final long bytes;
    private boolean freed;

    DeviceMemory(CudaBackend owner, long address, long bytes) {
        this.owner = owner;
        this.address = address;
        this.bytes = bytes;
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public long length() {
        return bytes / Float.BYTES;
    }

    /** The device address {@code byteOffset} bytes in, for kernel arguments and cuBLAS pointers. */
    public MemorySegment atByte(long byteOffset) {
        if (freed) throw new IllegalStateException("device buffer used after close");
        if (byteOffset < 0 || byteOffset > bytes) {
            throw new IndexOutOfBoundsException("byte offset " + byteOffset + " outside a " + bytes + "-byte device buffer");
        }
        return MemorySegment.ofAddress(address + byteOffset);
    }

    /** The device address of float {@code floatOffset}. */
    public MemorySegment at(long floatOffset) {
        return atByte(floatOffset * Float.BYTES);
    }

    /** Throws unless floats {@code [off, off+len)} lie inside this buffer. */
    void checkFloats(String what, long off, long len) {
        if (off < 0 || len < 0 || (off + len) * Float.BYTES > bytes) {
            throw new IndexOutOfBoundsException(what + ": floats [" + off + ", " + (off + len) + ") outside a buffer of "
                    + length());
        }
    }

    CudaBackend owner() {
        return owner;
    }

    @Override
    public void close() {
        if (freed) return;
        freed = true;
        owner.free(address);
    }
}
