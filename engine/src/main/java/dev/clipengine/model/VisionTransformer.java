package dev.clipengine.model;

import dev.clipengine.kernels.CpuBackend;
import dev.clipengine.kernels.WeightMatrix;

/**
 * CLIP's image tower (spec cliptrase.md §1.3): patch embedding (a stride-P convolution, done as one
 * matrix product over flattened patches), class token, positional embedding resized to the grid,
 * ln_pre, the residual blocks, ln_post on all tokens and the projection.
 */
public final class VisionTransformer {

    private final CpuBackend cpu;
    private final WeightMatrix patchEmbedding;   // conv1 [width, 3·P·P], no bias
    private final float[] classEmbedding;        // [width]
    private final float[] positionalEmbedding;   // [1 + g0², width]
    private final LayerNorm lnPre, lnPost;
    private final ResidualBlock[] blocks;
    private final WeightMatrix projection;       // [width, embed], right-multiplied
    private final int width, patch, nativeGrid, embedDim, heads;

    VisionTransformer(CpuBackend cpu, WeightMatrix patchEmbedding, float[] classEmbedding, float[] positionalEmbedding,
                      LayerNorm lnPre, ResidualBlock[] blocks, LayerNorm lnPost, WeightMatrix projection,
                      int patch, int nativeGrid, int heads) {
        this.cpu = cpu;
        this.patchEmbedding = patchEmbedding;
        this.classEmbedding = classEmbedding;
        this.positionalEmbedding = positionalEmbedding;
        this.lnPre = lnPre;
        this.blocks = blocks;
        this.lnPost = lnPost;
        this.projection = projection;
        this.width = classEmbedding.length;
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
     * Encodes a normalized CHW image.
     *
     * @param pixels            {@code [3, height, width]}, CLIP-normalized
     * @param lastBlock         attention of the last block ({@link AttentionMode#STANDARD} is plain CLIP)
     * @param wantCorrelation   also compute W of the second-to-last block (CLIPtrase clusters it)
     * @param wantLastAttention also return the last block's softmax attention (standard mode only)
     */
    public VisionOutput forward(float[] pixels, int height, int imageWidth, PositionalInterpolation interpolation,
                                AttentionMode lastBlock, boolean wantCorrelation, boolean wantLastAttention) {
        return forward(pixels, height, imageWidth, interpolation, LastBlock.of(lastBlock), wantCorrelation, wantLastAttention);
    }

    /**
     * As above with a training-free last block (training-free-methods.md §0): its attention, whether it keeps
     * residual and MLP, NACLIP's σ. Blocks before it are CLIP's.
     */
    public VisionOutput forward(float[] pixels, int height, int imageWidth, PositionalInterpolation interpolation,
                                LastBlock lastBlock, boolean wantCorrelation, boolean wantLastAttention) {
        if (height % patch != 0 || imageWidth % patch != 0) {
            throw new IllegalArgumentException("image size " + imageWidth + "x" + height
                    + " is not a multiple of the patch size " + patch);
        }
        if (pixels.length != 3 * height * imageWidth) {
            throw new IllegalArgumentException("expected 3x" + height + "x" + imageWidth + " pixels, got " + pixels.length);
        }
        if (wantCorrelation && blocks.length < 2) {
            throw new IllegalArgumentException("the correlation of the second-to-last block needs at least 2 layers");
        }
        int gh = height / patch, gw = imageWidth / patch, n = 1 + gh * gw, d = width;

        float[] x = new float[n * d];
        float[] patches = extractPatches(pixels, height, imageWidth);
        cpu.linear(patches, 0, 3 * patch * patch, gh * gw, patchEmbedding, null, x, d, d);
        System.arraycopy(classEmbedding, 0, x, 0, d);
        float[] pos = positionalTable(interpolation, gh, gw);
        cpu.add(x, 0, pos, 0, n * d);
        lnPre.apply(cpu, x, x, n);

        float[] correlation = null, lastAttention = null;
        AttentionMode lastMode = lastBlock.attention();
        float[] bias = lastMode == AttentionMode.NACLIP ? NeighbourhoodBias.of(gh, gw, lastBlock.gaussianSigma()) : null;
        ResidualBlock.Workspace ws = blocks[0].newWorkspace(n, n);   // one set of buffers for all blocks
        int[] oneSequence = {0, n};
        for (int i = 0; i < blocks.length; i++) {
            boolean last = i == blocks.length - 1;
            ResidualBlock.Taps taps = blocks[i].forward(cpu, x, oneSequence, false, last ? lastMode : AttentionMode.STANDARD,
                    last ? bias : null, !last || lastBlock.residual(),
                    last && wantLastAttention && lastMode == AttentionMode.STANDARD,
                    wantCorrelation && i == blocks.length - 2, ws);
            if (taps.cosineCorrelation != null) correlation = taps.cosineCorrelation;
            if (taps.attentionProbs != null) lastAttention = taps.attentionProbs;
        }
        lnPost.apply(cpu, x, x, n);
        float[] tokens = new float[n * embedDim];
        cpu.matmul(x, 0, d, n, projection, tokens, 0, embedDim);
        return new VisionOutput(gh, gw, embedDim, tokens, correlation, lastAttention);
    }

    private record GridKey(PositionalInterpolation interpolation, int gh, int gw) {
    }

    /** Resized positional tables by grid: a bicubic resize per image is ~1% of a 336 px forward, for the same table. */
    private final java.util.Map<GridKey, float[]> positionalTables = new java.util.concurrent.ConcurrentHashMap<>();

    private float[] positionalTable(PositionalInterpolation interpolation, int gh, int gw) {
        GridKey key = new GridKey(interpolation, gh, gw);
        float[] cached = positionalTables.get(key);
        if (cached != null) return cached;
        float[] table = interpolation.resize(positionalEmbedding, nativeGrid, width, gh, gw);
        if (positionalTables.size() >= 16) positionalTables.clear();   // many aspect ratios (full protocol): stay small
        positionalTables.put(key, table);
        return table;
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
