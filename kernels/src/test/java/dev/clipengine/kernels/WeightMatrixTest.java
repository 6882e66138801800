package dev.clipengine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class WeightMatrixTest {

    @Test
    void rejectsSizeMismatchWithAClearMessage() {
        MemorySegment seg = MemorySegment.ofArray(new byte[10]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WeightMatrix(seg, Storage.F16, 2, 3));
        assertTrue(e.getMessage().contains("12") && e.getMessage().contains("10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(new float[5], 2, 3));
    }

    @Test
    void widensEveryStorageExactly() {
        float[] values = {1.5f, -2.25f, 65504f, 1e-3f, 0f, -0f};
        try (Arena arena = Arena.ofConfined()) {
            for (Storage storage : Storage.values()) {
                WeightMatrix w = TestData.weights(values, 2, 3, storage, TestData.Placement.UNALIGNED, arena);
                for (int i = 0; i < values.length; i++) {
                    float expected = switch (storage) {
                        case F32 -> values[i];
                        case F16 -> Float.float16ToFloat(Float.floatToFloat16(values[i]));
                        case BF16 -> Float.intBitsToFloat(Float.floatToRawIntBits(values[i]) & 0xFFFF0000);
                    };
                    assertEquals(expected, w.get(i / 3, i % 3), storage + " element " + i);
                }
            }
        }
        assertEquals(-2.25f, WeightMatrix.of(values, 3, 2).get(0, 1));
    }

    @Test
    void readsLittleEndianBytes() {
        // 1.0 in bf16 is 0x3F80, stored little-endian as 80 3F; in f16 it is 0x3C00.
        WeightMatrix bf = new WeightMatrix(MemorySegment.ofArray(new byte[] {(byte) 0x80, 0x3F}), Storage.BF16, 1, 1);
        WeightMatrix hf = new WeightMatrix(MemorySegment.ofArray(new byte[] {0x00, 0x3C}), Storage.F16, 1, 1);
        assertEquals(1f, bf.get(0, 0));
        assertEquals(1f, hf.get(0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> hf.get(1, 0));
    }
}
