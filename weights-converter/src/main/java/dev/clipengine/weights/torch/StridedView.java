package dev.clipengine.weights.torch;

import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.torch.TorchGlobals.TensorRef;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A PyTorch view (storage, offset, sizes, strides in elements) as a {@link Tensor} with dense
 * row-major bytes, which is what safetensors and the kernels expect. A view that is already dense
 * is a slice of the storage (zero copy); any other (a transposed or sliced view saved as is, e.g.
 * a tensor that shares a fused storage) is gathered into {@code arena}. The view's bounds were
 * checked against the storage when the pickle built it ({@link TorchGlobals}).
 */
final class StridedView {

    private StridedView() {
    }

    /**
     * The view as a tensor. A gathered copy is charged to {@code copied} (bytes left to copy for the
     * whole file): a view may not address more elements than its storage holds (that takes a stride
     * of 0 or overlapping strides, which repeat elements; no weight is saved that way, and 4 bytes
     * viewed as 2<sup>30</sup> floats would cost 4 GiB), and all copies together stay within what
     * the caller derived from the file's size.
     */
    static Tensor tensor(String name, TensorRef t, MemorySegment storage, Arena arena, long[] copied)
            throws ViewException {
        int elem = t.storage().dtype().bytes;
        long count = t.elementCount();
        long[] shape = t.shape().clone();
        if (count == 0) return new Tensor(name, t.storage().dtype(), shape, MemorySegment.ofArray(new byte[0]));
        if (dense(t.shape(), t.stride())) {
            return new Tensor(name, t.storage().dtype(), shape, storage.asSlice(t.offset() * elem, count * elem));
        }
        if (count > t.storage().numel()) {
            throw new ViewException("tensor '" + name + "' views " + count + " elements of storage '" + t.storage().key()
                    + "', which holds " + t.storage().numel() + ": its strides repeat elements (stride 0 or overlapping)");
        }
        long bytes = count * elem;
        if (bytes > copied[0]) {
            throw new ViewException("strided views need more copying than the file's own size allows (at tensor '"
                    + name + "', " + bytes + " bytes)");
        }
        copied[0] -= bytes;
        MemorySegment dst = arena.allocate(bytes, 64);
        gather(storage, t.offset(), t.shape(), t.stride(), elem, dst);
        return new Tensor(name, t.storage().dtype(), shape, dst);
    }

    /** A view that cannot be materialised within its bounds. */
    static final class ViewException extends Exception {
        ViewException(String message) {
            super(message);
        }
    }

    /** Row-major contiguous: each stride is the product of the later sizes (sizes of 1 may have any stride). */
    static boolean dense(long[] shape, long[] stride) {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** Copies the view element by element (innermost run as one copy when its stride is 1). */
    static void gather(MemorySegment src, long offset, long[] shape, long[] stride, int elem, MemorySegment dst) {
        int rank = shape.length;
        long inner = rank == 0 ? 1 : shape[rank - 1];
        long innerStride = rank == 0 ? 1 : stride[rank - 1];
        long[] idx = new long[Math.max(rank - 1, 0)];
        long out = 0;
        while (true) {
            long base = offset;
            for (int d = 0; d < idx.length; d++) base += idx[d] * stride[d];
            if (innerStride == 1) {
                MemorySegment.copy(src, base * elem, dst, out, inner * elem);
                out += inner * elem;
            } else {
                for (long i = 0; i < inner; i++) {
                    MemorySegment.copy(src, (base + i * innerStride) * elem, dst, out, elem);
                    out += elem;
                }
            }
            int d = idx.length - 1;
            while (d >= 0 && ++idx[d] == shape[d]) idx[d--] = 0;
            if (d < 0) return;
        }
    }
}
