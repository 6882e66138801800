package dev.clipengine.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Builders for random test inputs and weight matrices in every storage and memory placement. */
final class TestData {

    private TestData() {
    }

    static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian());
        }
        return a;
    }

    enum Placement { HEAP, OFF_HEAP, UNALIGNED }

    /**
     * A rows×cols weight matrix holding {@code values} rounded to {@code storage}, placed as requested.
     * UNALIGNED puts the data at byte offset 2 of a larger segment, like a safetensors tensor can be.
     */
    static WeightMatrix weights(float[] values, int rows, int cols, Storage storage, Placement placement, Arena arena) {
        long bytes = (long) rows * cols * storage.bytes();
        MemorySegment seg = switch (placement) {
            case HEAP -> MemorySegment.ofArray(new byte[(int) bytes]);
            case OFF_HEAP -> arena.allocate(bytes, 64);
            case UNALIGNED -> arena.allocate(bytes + 2, 64).asSlice(2, bytes);
        };
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            switch (storage) {
                case F32 -> seg.set(f32, 4L * i, values[i]);
                case F16 -> seg.set(i16, 2L * i, Float.floatToFloat16(values[i]));
                // Truncating to bf16 is fine for test data: the test compares against the stored value.
                case BF16 -> seg.set(i16, 2L * i, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
            }
        }
        return new WeightMatrix(seg, storage, rows, cols);
    }
}
