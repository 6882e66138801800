package dev.clipengine.model;

/**
 * How the last block of the image tower runs (docs/training-free-methods.md §0): its attention, and whether its
 * residual and MLP are kept. With {@code residual == false} the block's output is the bare attention output
 * {@code O = out_proj(A·V)} ("reduced": MaskCLIP as the SCLIP family runs it, ClearCLIP, NACLIP).
 *
 * @param attention     the token mixing of the last block
 * @param residual      keep {@code x + O} and the MLP with its residual (CLIP's block); false = {@code O} only
 * @param gaussianSigma NACLIP's σ in patches (used by {@link AttentionMode#NACLIP} only)
 */
public record LastBlock(AttentionMode attention, boolean residual, double gaussianSigma) {

    public LastBlock {
        if (attention == null) throw new NullPointerException("attention");
        if (attention == AttentionMode.NACLIP && !(gaussianSigma > 0 && Double.isFinite(gaussianSigma))) {
            throw new IllegalArgumentException("NACLIP's Gaussian sigma must be a positive number, got " + gaussianSigma);
        }
    }

    /** A last block with CLIP's residual and MLP. */
    public static LastBlock of(AttentionMode attention) {
        return new LastBlock(attention, true, 0);
    }
}
