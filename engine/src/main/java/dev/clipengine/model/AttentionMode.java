package dev.clipengine.model;

/**
 * What the attention of a residual block computes. Everything else in the block (residual, MLP)
 * is the same in every mode; only the token-mixing matrix differs.
 */
public enum AttentionMode {
    /** CLIP as trained: {@code softmax(q kᵀ / sqrt(dh)) v} per head. */
    STANDARD,
    /**
     * CLIPtrase's last block (spec cliptrase.md §2.2): per head
     * {@code (softmax(s q qᵀ) + softmax(s k kᵀ) + softmax(s v vᵀ)) v} with {@code s = dh^-1/2};
     * three softmaxes summed and not divided by 3, exactly as the reference code does.
     */
    CLIPTRASE
}
