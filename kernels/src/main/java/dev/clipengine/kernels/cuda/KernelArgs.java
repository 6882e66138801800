package dev.clipengine.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code void** kernelParams} of {@code cuLaunchKernel}: one slot per kernel parameter holding its value, and an
 * array of pointers to the slots. The types are kept so launches can be checked against the PTX signature
 * ({@link PtxModule#entries()}) before anything reaches the driver.
 */
public final class KernelArgs {

    private final List<PtxModule.ParamType> types = new ArrayList<>();
    private final List<Object> values = new ArrayList<>();

    /** A device pointer ({@code .u64}). {@link MemorySegment#NULL} for a null pointer. */
    public KernelArgs ptr(MemorySegment devicePointer) {
        types.add(PtxModule.ParamType.U64);
        values.add(devicePointer);
        return this;
    }

    /** A C {@code int} ({@code .u32} in PTX, whatever its sign). */
    public KernelArgs i32(int v) {
        types.add(PtxModule.ParamType.U32);
        values.add(v);
        return this;
    }

    /** A C {@code long long} ({@code .u64}). */
    public KernelArgs i64(long v) {
        types.add(PtxModule.ParamType.U64);
        values.add(v);
        return this;
    }

    public KernelArgs f32(float v) {
        types.add(PtxModule.ParamType.F32);
        values.add(v);
        return this;
    }

    public KernelArgs f64(double v) {
        types.add(PtxModule.ParamType.F64);
        values.add(v);
        return this;
    }

    public List<PtxModule.ParamType> types() {
        return List.copyOf(types);
    }

    public List<Object> values() {
        return List.copyOf(values);
    }

    /** Writes the slots and the pointer array into {@code arena}; returns the {@code void**}. */
    public MemorySegment marshal(Arena arena) {
        MemorySegment pointers = arena.allocate(ADDRESS, Math.max(1, values.size()));
        for (int i = 0; i < values.size(); i++) {
            MemorySegment slot = arena.allocate(8, 8);
            switch (values.get(i)) {
                case MemorySegment p -> slot.set(ADDRESS, 0, p);
                case Integer v -> slot.set(JAVA_INT, 0, v);
                case Long v -> slot.set(JAVA_LONG, 0, v);
                case Float v -> slot.set(JAVA_FLOAT, 0, v);
                case Double v -> slot.set(JAVA_DOUBLE, 0, v);
                default -> throw new IllegalStateException("unsupported kernel argument " + values.get(i));
            }
            pointers.setAtIndex(ADDRESS, i, slot);
        }
        return pointers;
    }

    /** Whether these arguments fit a kernel declared with {@code declared} (same count and sizes). */
    public boolean matches(List<PtxModule.ParamType> declared) {
        if (declared.size() != types.size()) return false;
        for (int i = 0; i < declared.size(); i++) {
            PtxModule.ParamType d = declared.get(i), a = types.get(i);
            boolean floatD = d == PtxModule.ParamType.F32 || d == PtxModule.ParamType.F64;
            boolean floatA = a == PtxModule.ParamType.F32 || a == PtxModule.ParamType.F64;
            if (d.bytes() != a.bytes() || floatD != floatA) return false;
        }
        return true;
    }
}
