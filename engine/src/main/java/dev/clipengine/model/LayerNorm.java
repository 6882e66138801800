package dev.clipengine.model;

import dev.clipengine.kernels.CpuBackend;
import dev.clipengine.weights.Tensor;

/** Affine layer norm parameters (CLIP uses eps 1e-5, computed in fp32 or better, spec §1.1). */
record LayerNorm(float[] gamma, float[] beta) {

    static final float EPS = 1e-5f;

    static LayerNorm of(Tensor gamma, Tensor beta) {
        return new LayerNorm(gamma.toFloatArray(), beta.toFloatArray());
    }

    void apply(CpuBackend cpu, float[] x, float[] y, int rows) {
        int d = gamma.length;
        cpu.layerNorm(x, 0, d, rows, d, gamma, beta, EPS, y, 0, d);
    }
}
