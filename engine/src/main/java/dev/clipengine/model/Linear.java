package dev.clipengine.model;

import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Epilogue;
import dev.clipengine.kernels.Storage;
import dev.clipengine.kernels.WeightMatrix;
import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;

/**
 * A PyTorch-layout linear layer prepared on the backend: weight {@code [out, in]} (from a zero-copy view of the
 * checkpoint: packed on the CPU, uploaded on CUDA) and an optional bias.
 */
record Linear(Backend.Weights weight, Backend.Buffer bias) {

    int in() {
        return weight.cols();
    }

    int out() {
        return weight.rows();
    }

    static Linear of(Prepared prepared, Tensor weight, Tensor bias) throws WeightsFormatException {
        return new Linear(prepared.weights(matrix(weight)), bias == null ? null : prepared.upload(bias.toFloatArray()));
    }

    /** {@code y (+)= epilogue(x · Wᵀ + b)} over {@code rows} rows, x and y at offset 0. */
    void apply(Backend backend, Backend.Buffer x, int ldx, int rows, Backend.Buffer y, int ldy, Epilogue epilogue) {
        backend.linear(x, 0, ldx, rows, weight, bias, y, 0, ldy, epilogue);
    }

    /** A rank-2 (or conv, flattened to rank 2) float tensor as a kernel matrix, without copying. */
    static WeightMatrix matrix(Tensor t) throws WeightsFormatException {
        Storage storage = switch (t.dtype()) {
            case F32 -> Storage.F32;
            case F16 -> Storage.F16;
            case BF16 -> Storage.BF16;
            default -> throw new WeightsFormatException("tensor '" + t.name() + "' has dtype " + t.dtype()
                    + "; weights must be F32, F16 or BF16");
        };
        int rows = t.dim(0);
        long cols = t.elementCount() / Math.max(rows, 1);
        return new WeightMatrix(t.data(), storage, rows, Math.toIntExact(cols));
    }
}
