package dev.clipengine.model;

/**
 * Blocks 1..L−1 of the image tower on one image, as {@link TrunkRequest} asked (docs/mid-layer-methods.md).
 *
 * @param gridH     patch rows
 * @param gridW     patch columns
 * @param width     the residual stream's width
 * @param heads     attention heads
 * @param streams   {@code streams[l]} = Z_l, {@code [1 + gridH·gridW, width]} (row 0 = CLS), null where not asked
 * @param attention {@code attention[l]} = block l's softmax(q·kᵀ/√d) per head, {@code [heads, n, n]}, or null
 */
public record Trunk(int gridH, int gridW, int width, int heads, float[][] streams, float[][] attention) {

    public int patches() {
        return gridH * gridW;
    }

    public int tokens() {
        return 1 + gridH * gridW;
    }

    /** Z_l; fails when block {@code l} was not requested. */
    public float[] stream(int l) {
        float[] z = streams[l];
        if (z == null) throw new IllegalStateException("the residual stream of block " + l + " was not requested");
        return z;
    }

    /** The patch rows of Z_l (CLS dropped), {@code [gridH·gridW, width]}. */
    public float[] patchRows(int l) {
        return java.util.Arrays.copyOfRange(stream(l), width, tokens() * width);
    }

    public float[] attention(int l) {
        float[] a = attention[l];
        if (a == null) throw new IllegalStateException("the attention of block " + l + " was not requested");
        return a;
    }
}
