package dev.clipengine.model;

import dev.clipengine.kernels.Backend;

/** Affine layer norm parameters on the backend (CLIP uses eps 1e-5, computed in fp32 or better, docs/cliptrase.md §1.1). */
record LayerNorm(Backend.Buffer gamma, Backend.Buffer beta, int width) {

    static final float EPS = 1e-5f;

    static LayerNorm of(Prepared prepared, float[] gamma, float[] beta) {
        if (gamma.length != beta.length) {
            throw new IllegalArgumentException("layer norm weight has " + gamma.length + " entries, bias " + beta.length);
        }
        return new LayerNorm(prepared.upload(gamma), prepared.upload(beta), gamma.length);
    }

    /** {@code y = LN(x)} over {@code rows} rows of {@code width}; x and y may be the same buffer. */
    void apply(Backend backend, Backend.Buffer x, Backend.Buffer y, int rows) {
        backend.layerNorm(x, 0, width, rows, width, gamma, beta, EPS, y, 0, width);
    }
}
