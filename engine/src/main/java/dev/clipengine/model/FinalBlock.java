package dev.clipengine.model;

import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Epilogue;

/**
 * The pieces of the tower's last block and its output head that the mid-layer methods reuse while replacing the
 * block itself (docs/mid-layer-methods.md): its {@code ln_1}, its in-projection (q|k|v), its out-projection, and
 * {@code ln_post(x)·proj}. Host arrays in and out, row-major; the products run on the model's backend.
 */
public final class FinalBlock {

    private final Backend backend;
    private final ResidualBlock block;
    private final LayerNorm lnPost;
    private final Backend.Weights projection;
    private final int width, embedDim;

    FinalBlock(Backend backend, ResidualBlock block, LayerNorm lnPost, Backend.Weights projection, int width, int embedDim) {
        this.backend = backend;
        this.block = block;
        this.lnPost = lnPost;
        this.projection = projection;
        this.width = width;
        this.embedDim = embedDim;
    }

    public int width() {
        return width;
    }

    public int heads() {
        return block.heads();
    }

    public int embedDim() {
        return embedDim;
    }

    /** {@code ln_1(x)} of the last block over {@code rows} rows. */
    public float[] ln1(float[] x, int rows) {
        try (Backend.Buffer b = backend.upload(x, 0, rows * width)) {
            block.ln1().apply(backend, b, b, rows);
            return backend.download(b);
        }
    }

    /** {@code [q | k | v]} rows ({@code 3·width} each) of the last block's in-projection of {@code y}. */
    public float[] qkv(float[] y, int rows) {
        try (Backend.Buffer in = backend.upload(y, 0, rows * width);
             Backend.Buffer out = backend.allocate((long) rows * 3 * width)) {
            block.inProj().apply(backend, in, width, rows, out, 3 * width, Epilogue.STORE);
            return backend.download(out);
        }
    }

    /** The last block's out-projection (with its bias) of the concatenated head outputs. */
    public float[] outProj(float[] context, int rows) {
        try (Backend.Buffer in = backend.upload(context, 0, rows * width);
             Backend.Buffer out = backend.allocate((long) rows * width)) {
            block.outProj().apply(backend, in, width, rows, out, width, Epilogue.STORE);
            return backend.download(out);
        }
    }

    /** {@code ln_post(x)·proj}: the tower's output head, {@code [rows, embedDim]}, not normalized. */
    public float[] head(float[] x, int rows) {
        try (Backend.Buffer in = backend.upload(x, 0, rows * width);
             Backend.Buffer out = backend.allocate((long) rows * embedDim)) {
            lnPost.apply(backend, in, in, rows);
            backend.matmul(in, 0, width, rows, projection, out, 0, embedDim);
            return backend.download(out);
        }
    }
}
