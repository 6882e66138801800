package dev.clipengine.model;

import dev.clipengine.kernels.Backend;

/**
 * CLIP's image tower (docs/cliptrase.md §1.3): patch embedding (a stride-P convolution, done as one
 * matrix product over flattened patches), class token, positional embedding resized to the grid,
 * ln_pre, the residual blocks, ln_post on all tokens and the projection, on the backend its weights were prepared for.
 */
public final class VisionTransformer {

    private final Backend backend;
    private final Backend.Weights patchEmbedding;   // conv1 [width, 3·P·P], no bias
    private final Backend.Buffer classEmbedding;    // [width]
    private final float[] positionalEmbedding;      // [1 + g0², width], resized per grid on the host
    private final LayerNorm lnPre, lnPost;
    private final ResidualBlock[] blocks;
    private final Backend.Weights projection;       // [width, embed], right-multiplied
    private final int width, patch, nativeGrid, embedDim, heads;

    VisionTransformer(Backend backend, Backend.Weights patchEmbedding, Backend.Buffer classEmbedding,
                      float[] positionalEmbedding, LayerNorm lnPre, ResidualBlock[] blocks, LayerNorm lnPost,
                      Backend.Weights projection, int patch, int nativeGrid, int heads) {
        this.backend = backend;
        this.patchEmbedding = patchEmbedding;
        this.classEmbedding = classEmbedding;
        this.positionalEmbedding = positionalEmbedding;
        this.lnPre = lnPre;
        this.blocks = blocks;
        this.lnPost = lnPost;
        this.projection = projection;
        this.width = Math.toIntExact(classEmbedding.length());
        this.patch = patch;
        this.nativeGrid = nativeGrid;
        this.embedDim = projection.cols();
        this.heads = heads;
    }

    public int patchSize() {
        return patch;
    }

    public int layers() {
        return blocks.length;
    }

    public int heads() {
        return heads;
    }

    /**
     * Encodes a normalized CHW image: patch embedding, class token and positional embedding, ln_pre, the blocks (the
     * last one as {@code request} says), ln_post on every token, the projection. Everything runs on the backend; only
     * the projected tokens and the requested side outputs come back.
     *
     * @param pixels {@code [3, height, width]}, CLIP-normalized
     */
    public VisionOutput forward(float[] pixels, int height, int imageWidth, VisionRequest request) {
        checkInput(pixels, height, imageWidth);
        if (request.correlation() && blocks.length < 2) {
            throw new IllegalArgumentException("the correlation of the second-to-last block needs at least 2 layers");
        }
        int gh = height / patch, gw = imageWidth / patch, n = 1 + gh * gw, d = width;
        LastBlock lastBlock = request.lastBlock();
        AttentionMode lastMode = lastBlock.attention();
        int[] oneSequence = {0, n};
        Backend.Buffer correlation = null, lastAttention = null;
        try (Backend.Buffer x = backend.allocate((long) n * d);
             Backend.Buffer patches = backend.adopt(extractPatches(pixels, height, imageWidth));
             Backend.Buffer bias = lastMode == AttentionMode.NACLIP
                     ? backend.adopt(NeighbourhoodBias.of(gh, gw, lastBlock.gaussianSigma())) : null;
             Positional pos = positionalTable(request.interpolation(), gh, gw);
             ResidualBlock.Workspace ws = blocks[0].newWorkspace(n)) {   // one set of buffers for all blocks
            embed(patches, pos, x, gh * gw, n);

            for (int i = 0; i < blocks.length; i++) {
                boolean last = i == blocks.length - 1;
                ResidualBlock.Request r = new ResidualBlock.Request(false, last ? lastMode : AttentionMode.STANDARD,
                        last ? bias : null, !last || lastBlock.residual(),
                        last && request.lastAttention() && lastMode == AttentionMode.STANDARD,
                        request.correlation() && i == blocks.length - 2);
                ResidualBlock.Taps taps = blocks[i].forward(x, oneSequence, r, ws);
                if (taps.correlation() != null) correlation = taps.correlation();
                if (taps.probabilities() != null) lastAttention = taps.probabilities();
            }
            lnPost.apply(backend, x, x, n);
            float[] tokens;
            try (Backend.Buffer projected = backend.allocate((long) n * embedDim)) {
                backend.matmul(x, 0, d, n, projection, projected, 0, embedDim);
                tokens = backend.download(projected);
            }
            return new VisionOutput(gh, gw, embedDim, tokens,
                    correlation == null ? null : backend.download(correlation),
                    lastAttention == null ? null : backend.download(lastAttention));
        } finally {
            if (correlation != null) correlation.close();
            if (lastAttention != null) lastAttention.close();
        }
    }

    /**
     * The mid-layer methods' view of the tower (docs/mid-layer-methods.md): blocks 1..L−1 run as CLIP, and the
     * residual streams and attention probabilities of the blocks {@code request} names come back; the last block is
     * not run (the method rebuilds it from {@link #finalBlock()}). The arithmetic is {@link #forward}'s, so the
     * streams are those a plain forward passes through.
     */
    public Trunk trunk(float[] pixels, int height, int imageWidth, TrunkRequest request) {
        checkInput(pixels, height, imageWidth);
        int gh = height / patch, gw = imageWidth / patch, n = 1 + gh * gw, d = width;
        int[] oneSequence = {0, n};
        float[][] streams = new float[blocks.length + 1][], attention = new float[blocks.length + 1][];
        try (Backend.Buffer x = backend.allocate((long) n * d);
             Backend.Buffer patches = backend.adopt(extractPatches(pixels, height, imageWidth));
             Positional pos = positionalTable(request.interpolation(), gh, gw);
             ResidualBlock.Workspace ws = blocks[0].newWorkspace(n)) {
            embed(patches, pos, x, gh * gw, n);
            for (int block = 1; block < blocks.length; block++) {
                boolean probs = request.attention().contains(block);
                ResidualBlock.Request r = new ResidualBlock.Request(false, AttentionMode.STANDARD, null, true, probs, false);
                ResidualBlock.Taps taps = blocks[block - 1].forward(x, oneSequence, r, ws);
                if (taps.probabilities() != null) {
                    try (Backend.Buffer p = taps.probabilities()) {
                        attention[block] = backend.download(p);
                    }
                }
                if (request.streams().contains(block)) streams[block] = backend.download(x);
            }
        }
        return new Trunk(gh, gw, d, heads, streams, attention);
    }

    /** The last block's pieces and the output head, for methods that replace the last block. */
    public FinalBlock finalBlock() {
        return new FinalBlock(backend, blocks[blocks.length - 1], lnPost, projection, width, embedDim);
    }

    /**
     * {@link #forward(float[], int, int, VisionRequest)} with CLIP's blocks before the last, spelled out
     * ({@code new VisionRequest(interpolation, LastBlock.of(lastBlock), wantCorrelation, wantLastAttention)}).
     */
    public VisionOutput forward(float[] pixels, int height, int imageWidth, PositionalInterpolation interpolation,
                                AttentionMode lastBlock, boolean wantCorrelation, boolean wantLastAttention) {
        return forward(pixels, height, imageWidth,
                new VisionRequest(interpolation, LastBlock.of(lastBlock), wantCorrelation, wantLastAttention));
    }

    private void checkInput(float[] pixels, int height, int imageWidth) {
        if (height % patch != 0 || imageWidth % patch != 0) {
            throw new IllegalArgumentException("image size " + imageWidth + "x" + height
                    + " is not a multiple of the patch size " + patch);
        }
        if (pixels.length != 3 * height * imageWidth) {
            throw new IllegalArgumentException("expected 3x" + height + "x" + imageWidth + " pixels, got " + pixels.length);
        }
    }

    /** Patch embedding, class token, positional embedding and ln_pre into {@code x} ({@code n} rows). */
    private void embed(Backend.Buffer patches, Positional pos, Backend.Buffer x, int patchCount, int n) {
        int d = width;
        backend.linear(patches, 0, 3 * patch * patch, patchCount, patchEmbedding, null, x, d, d);
        backend.copy(classEmbedding, 0, x, 0, d);
        backend.add(x, 0, pos.table(), 0, (long) n * d);
        lnPre.apply(backend, x, x, n);
    }

    private record GridKey(PositionalInterpolation interpolation, int gh, int gw) {
    }

    /** A positional table for one forward; closing releases it unless it is the cached one. */
    private record Positional(Backend.Buffer table, boolean cached) implements AutoCloseable {
        @Override
        public void close() {
            if (!cached) table.close();
        }
    }

    /**
     * Grids whose resized table is kept on the backend for the model's life (a bicubic resize per image is ~1% of a
     * 336 px forward); tables of further grids (many aspect ratios, full protocol) are made per forward.
     */
    private static final int CACHED_GRIDS = 16;

    private final java.util.Map<GridKey, Backend.Buffer> positionalTables = new java.util.concurrent.ConcurrentHashMap<>();

    private Positional positionalTable(PositionalInterpolation interpolation, int gh, int gw) {
        GridKey key = new GridKey(interpolation, gh, gw);
        Backend.Buffer cached = positionalTables.get(key);
        if (cached != null) return new Positional(cached, true);
        float[] table = interpolation.resize(positionalEmbedding, nativeGrid, width, gh, gw);
        Backend.Buffer fresh = backend.upload(table);
        synchronized (positionalTables) {
            if (closed || positionalTables.size() >= CACHED_GRIDS) return new Positional(fresh, false);
            Backend.Buffer raced = positionalTables.putIfAbsent(key, fresh);
            if (raced == null) return new Positional(fresh, true);
            fresh.close();   // another thread cached the same table first
            return new Positional(raced, true);
        }
    }

    private boolean closed;

    /** Releases the cached positional tables (the model's weights are released by its owner). */
    void close() {
        synchronized (positionalTables) {
            closed = true;
            positionalTables.values().forEach(Backend.Buffer::close);
            positionalTables.clear();
        }
    }

    /** Rows of {@code (channel, ky, kx)}-ordered patch values, matching conv1's weight layout. */
    private float[] extractPatches(float[] pixels, int height, int imageWidth) {
        int gh = height / patch, gw = imageWidth / patch, k = 3 * patch * patch;
        float[] out = new float[gh * gw * k];
        for (int r = 0; r < gh; r++) {
            for (int c = 0; c < gw; c++) {
                int base = (r * gw + c) * k;
                for (int ch = 0; ch < 3; ch++) {
                    for (int ky = 0; ky < patch; ky++) {
                        int src = (ch * height + r * patch + ky) * imageWidth + c * patch;
                        System.arraycopy(pixels, src, out, base + (ch * patch + ky) * patch, patch);
                    }
                }
            }
        }
        return out;
    }
}
