package dev.clipengine.model;

import dev.clipengine.kernels.Storage;
import dev.clipengine.kernels.WeightMatrix;
import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;

/**
 * A PyTorch-layout linear layer: weight {@code [out, in]} (zero-copy view of the checkpoint) and an
 * optional bias copied to the heap (biases are tiny; the big matrix stays off-heap).
 */
record Linear(WeightMatrix weight, float[] bias) {

    int in() {
        return weight.cols();
    }

    int out() {
        return weight.rows();
    }

    static Linear of(Tensor weight, Tensor bias) throws WeightsFormatException {
        return new Linear(matrix(weight), bias == null ? null : bias.toFloatArray());
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
