package dev.clipengine.model;

import java.util.Objects;

/**
 * What one pass of the image tower computes (docs/training-free-methods.md §0) and which side outputs it returns.
 *
 * @param interpolation how the positional embedding is stretched to the grid
 * @param lastBlock     the last block's attention, residual and NACLIP σ (blocks before it are CLIP's)
 * @param correlation   also return W, the cosine self-correlation of the second-to-last block (CLIPtrase clusters it)
 * @param lastAttention also return the last block's softmax attention ({@link AttentionMode#STANDARD} only)
 */
public record VisionRequest(PositionalInterpolation interpolation, LastBlock lastBlock, boolean correlation,
                            boolean lastAttention) {

    public VisionRequest {
        Objects.requireNonNull(interpolation, "interpolation");
        Objects.requireNonNull(lastBlock, "lastBlock");
    }

    /** CLIP as trained: projected tokens, no side output. */
    public static VisionRequest clip(PositionalInterpolation interpolation) {
        return new VisionRequest(interpolation, LastBlock.of(AttentionMode.STANDARD), false, false);
    }

    /** A training-free last block, no side output. */
    public static VisionRequest of(PositionalInterpolation interpolation, LastBlock lastBlock) {
        return new VisionRequest(interpolation, lastBlock, false, false);
    }

    /** CLIPtrase's forward: its last block and W of the block before it. */
    public static VisionRequest cliptrase(PositionalInterpolation interpolation) {
        return new VisionRequest(interpolation, LastBlock.of(AttentionMode.CLIPTRASE), true, false);
    }

    public VisionRequest withCorrelation() {
        return new VisionRequest(interpolation, lastBlock, true, lastAttention);
    }

    public VisionRequest withLastAttention() {
        return new VisionRequest(interpolation, lastBlock, correlation, true);
    }
}
