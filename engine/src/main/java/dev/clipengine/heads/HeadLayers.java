package dev.clipengine.heads;

import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Epilogue;
import dev.clipengine.kernels.Storage;
import dev.clipengine.kernels.WeightMatrix;
import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What a seed head holds on its {@link Backend}: prepared weight matrices, biases and norms, made once when the head
 * is loaded and released together when it is closed (device memory is not garbage collected).
 */
final class HeadLayers implements AutoCloseable {

    /** A PyTorch Linear (or a 1×1 / flattened conv): weight {@code [out, in]} prepared for the backend's GEMM. */
    record Lin(Backend.Weights weight, Backend.Buffer bias) {
        int in() {
            return weight.cols();
        }

        int out() {
            return weight.rows();
        }

        /** {@code y (+)= epilogue(x·Wᵀ + b)} over {@code rows} rows (x and y at offset 0, dense rows). */
        void apply(Backend b, Backend.Buffer x, int rows, Backend.Buffer y, Epilogue e) {
            b.linear(x, 0, in(), rows, weight, bias, y, 0, out(), e);
        }
    }

    /** Affine LayerNorm with its own eps (the repositories mix 1e-5 and 1e-6). */
    record Norm(Backend.Buffer gamma, Backend.Buffer beta, int width, float eps) {
        void apply(Backend b, Backend.Buffer x, Backend.Buffer y, int rows) {
            b.layerNorm(x, 0, width, rows, width, gamma, beta, eps, y, 0, width);
        }
    }

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final Backend backend;
    private final List<AutoCloseable> held = new ArrayList<>();
    private final Arena arena = Arena.ofShared();

    HeadLayers(Backend backend) {
        this.backend = backend;
    }

    synchronized <T extends AutoCloseable> T keep(T r) {
        held.add(r);
        return r;
    }

    Backend.Buffer upload(float[] v) {
        return keep(backend.upload(v));
    }

    /** A Linear from a weight tensor (rank ≥ 2, flattened to {@code [dim0, rest]}, read in place) and optional bias. */
    Lin lin(Tensor w, Tensor bias) throws WeightsFormatException {
        return new Lin(weights(w), bias == null ? null : upload(bias.toFloatArray()));
    }

    /**
     * A Linear from values {@code w[out][in]} computed here (a transposed or reassembled matrix), copied into memory
     * this object owns: closing it ends the weights' scope, so the backend's packing budget gets them back at once
     * rather than whenever a heap array is collected.
     */
    Lin lin(float[] w, int out, int in, float[] bias) {
        MemorySegment seg;
        synchronized (this) {
            seg = arena.allocate((long) w.length * Float.BYTES, 64);
        }
        MemorySegment.copy(w, 0, seg, F32_LE, 0, w.length);
        return new Lin(keep(backend.weights(new WeightMatrix(seg, Storage.F32, out, in))), bias == null ? null : upload(bias));
    }

    Norm norm(Tensor gamma, Tensor beta, float eps) {
        return new Norm(upload(gamma.toFloatArray()), upload(beta.toFloatArray()), gamma.dim(0), eps);
    }

    private Backend.Weights weights(Tensor t) throws WeightsFormatException {
        Storage storage = switch (t.dtype()) {
            case F32 -> Storage.F32;
            case F16 -> Storage.F16;
            case BF16 -> Storage.BF16;
            default -> throw new WeightsFormatException("tensor '" + t.name() + "' has dtype " + t.dtype() + "; weights must be F32, F16 or BF16");
        };
        int rows = t.dim(0);
        long cols = t.elementCount() / Math.max(rows, 1);
        return keep(backend.weights(new WeightMatrix(t.data(), storage, rows, Math.toIntExact(cols))));
    }

    /** Releases everything, newest first. */
    @Override
    public synchronized void close() {
        RuntimeException first = null;
        for (int i = held.size() - 1; i >= 0; i--) {
            try {
                held.get(i).close();
            } catch (Exception e) {
                if (first == null) first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        }
        held.clear();
        if (arena.scope().isAlive()) arena.close();
        if (first != null) throw first;
    }
}
