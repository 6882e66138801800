package dev.clipengine.midlayer;

/**
 * One SC-CLIP forward (docs/mid-layer-methods.md): the projected patch features and the intermediates the
 * conformance tests compare. Matrices are row-major over the {@code gridH·gridW} patches (no class token).
 *
 * @param features projected patch features {@code [T, embedDim]}, not normalized
 * @param lof      outlier scores of the penultimate block's patches
 * @param outliers patches (row-major) whose score is above the 0.95 quantile
 * @param x0       the penultimate block's patch tokens, outliers repaired {@code [T, width]}
 * @param sim9     cosine similarities of the prior block's repaired patches {@code [T, T]}
 * @param agg9     its thresholded, row-normalized weights; {@code agg4} the post block's
 * @param prior    softmax(3·(sim9 − mean)) with entries below the mean dropped
 * @param attnMain the main branch's attention per head {@code [heads][T·T]}
 * @param zsum     the sum of the fused residual streams {@code [1 + T, width]} (row 0 = class token)
 * @param main     the main branch after the post-block aggregation {@code [T, width]}; {@code fuse} the fusion branch
 */
public record ScClipResult(int gridH, int gridW, int embedDim, float[] features, float[] lof, int[] outliers, float[] x0,
                           float[] sim9, float[] agg9, float[] agg4, float[] prior, float[][] attnMain, float[] zsum,
                           float[] main, float[] fuse) {
}
