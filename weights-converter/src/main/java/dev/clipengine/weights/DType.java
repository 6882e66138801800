package dev.clipengine.weights;

import java.util.Locale;

/** Element types a safetensors file can declare, with their byte sizes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /**
     * Parses the safetensors spelling exactly ("F32", "BF16", ...; the format is case-sensitive, and the
     * reference reader refuses "f32"); null when unknown.
     */
    public static DType parse(String name) {
        for (DType d : values()) if (d.name().equals(name)) return d;
        return null;
    }

    /** As {@link #parse}, in any case: for names people type on a command line. */
    public static DType parseIgnoringCase(String name) {
        return parse(name.toUpperCase(Locale.ROOT));
    }

    public boolean isFloat() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }
}
