package dev.clipengine.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Read-only row-major matrix {@code rows × cols}, contiguous (row r starts at byte {@code r*cols*storage.bytes()}),
 * little-endian, possibly unaligned (safetensors data can start at any byte offset), on or off heap.
 */
public record WeightMatrix(MemorySegment data, Storage storage, int rows, int cols) {

    /** Unaligned little-endian layouts: safetensors tensors may start at any byte offset of an mmapped file. */
    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public WeightMatrix {
        if (data == null || storage == null) {
            throw new IllegalArgumentException("WeightMatrix data and storage must not be null");
        }
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("WeightMatrix dimensions must be positive, got " + rows + "x" + cols);
        }
        long expected = (long) rows * cols * storage.bytes();
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("WeightMatrix " + rows + "x" + cols + " " + storage + " needs "
                    + expected + " bytes but the segment has " + data.byteSize());
        }
    }

    /** Wraps a heap F32 array (row-major, length rows*cols) without copying. */
    public static WeightMatrix of(float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException("WeightMatrix.of: " + values.length + " values for " + rows + "x" + cols);
        }
        return new WeightMatrix(MemorySegment.ofArray(values), Storage.F32, rows, cols);
    }

    /** Element (r, c) widened exactly to fp32. */
    public float get(int r, int c) {
        if (r < 0 || r >= rows || c < 0 || c >= cols) {
            throw new IndexOutOfBoundsException("(" + r + ", " + c + ") outside " + rows + "x" + cols);
        }
        return element((long) r * cols + c);
    }

    /** Element at linear index {@code i} (no bounds check beyond the segment's own). */
    float element(long i) {
        return switch (storage) {
            case F32 -> data.get(F32_LE, i * 4);
            case F16 -> Float.float16ToFloat(data.get(I16_LE, i * 2));
            case BF16 -> bf16ToFloat(data.get(I16_LE, i * 2));
        };
    }

    /** bfloat16 is the top half of a binary32, so widening is a shift. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }
}
