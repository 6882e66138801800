package dev.clipengine.kernels;

/** Element type of a {@link WeightMatrix}; all little-endian. Weights are widened to fp32 for computation. */
public enum Storage {
    /** IEEE 754 binary32. */
    F32(4),
    /** IEEE 754 binary16 ("half"). */
    F16(2),
    /** bfloat16: the upper 16 bits of a binary32. */
    BF16(2);

    private final int bytes;

    Storage(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }
}
