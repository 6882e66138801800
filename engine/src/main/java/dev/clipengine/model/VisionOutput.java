package dev.clipengine.model;

/**
 * What one image-tower forward pass returns.
 *
 * @param gridH         patch rows
 * @param gridW         patch columns
 * @param tokens        {@code [1 + gridH·gridW, embed]}: ln_post on every token, then the projection
 *                      (row 0 is the image embedding, the rest are patch features; not normalized)
 * @param correlation   {@code [L, L]} cosine self-correlation W of the second-to-last block (docs/cliptrase.md §2.1),
 *                      or null when not requested
 * @param lastAttention {@code [heads, L, L]} softmax attention of the last block (standard mode), or null
 */
public record VisionOutput(int gridH, int gridW, int embedDim, float[] tokens, float[] correlation, float[] lastAttention) {

    public int tokenCount() {
        return 1 + gridH * gridW;
    }

    /** The projected class token: CLIP's image embedding (not normalized). */
    public float[] imageEmbedding() {
        return java.util.Arrays.copyOf(tokens, embedDim);
    }
}
