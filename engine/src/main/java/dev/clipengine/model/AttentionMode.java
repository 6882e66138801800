package dev.clipengine.model;

/**
 * What the attention of a residual block computes. Everything else in the block (residual, MLP)
 * is the same in every mode; only the token-mixing matrix differs. Whether the last block keeps its
 * residual and MLP is a separate switch ({@link LastBlock#residual()}).
 *
 * <p>All modes use the block's own in_proj (q, k, v) and out_proj; {@code s = dh^-1/2}. The training-free
 * family follows docs/training-free-methods.md §0/§2.
 */
public enum AttentionMode {
    /** CLIP as trained: {@code softmax(s q kᵀ) v} per head. */
    STANDARD,
    /**
     * CLIPtrase's last block (docs/cliptrase.md §2.2): per head
     * {@code (softmax(s q qᵀ) + softmax(s k kᵀ) + softmax(s v vᵀ)) v} with {@code s = dh^-1/2};
     * three softmaxes summed and not divided by 3, exactly as the reference code does.
     */
    CLIPTRASE,
    /** MaskCLIP: the identity (no token mixing), so the head's output is its own {@code v}. */
    IDENTITY,
    /** SCLIP's correlative self-attention: {@code (softmax(s q qᵀ) + softmax(s k kᵀ)) v}, rows sum to 2 (no /2). */
    SCLIP,
    /** ClearCLIP: {@code softmax(s q qᵀ) v}. */
    QUERY_QUERY,
    /**
     * NACLIP: {@code softmax(s k kᵀ + Ω) v} with Ω a Gaussian over patch-grid distance, 0 for any pair that
     * involves the class token (the caller supplies Ω, see {@link NeighbourhoodBias}).
     */
    NACLIP
}
