package dev.clipengine.midlayer;

/**
 * One ResCLIP forward (docs/mid-layer-methods.md): the final projected patch features and the intermediates the
 * conformance tests compare. Attention-sized matrices are {@code (1+T)×(1+T)} with the class token at index 0.
 *
 * @param features      pass 2's projected patch features {@code [T, embedDim]}, class token dropped, not normalized
 * @param rcs           the RCS map {@code [heads, n, n]}
 * @param pass1Attn     pass 1's last-block attention per head
 * @param pass1Features pass 1's projected patch features
 * @param pass1Labels   pass 1's query index per pixel of the input
 * @param patchLabels   the majority label per patch {@code [gridH·gridW]}
 * @param sfr           the SFR matrix; {@code sfrHalf} = fp16(sfr / max sfr) as the attention uses it
 * @param attn          pass 2's last-block attention per head (rows sum to τ_r)
 */
public record ResClipResult(int gridH, int gridW, int embedDim, float[] features, float[] rcs, float[][] pass1Attn,
                            float[] pass1Features, int[] pass1Labels, int[] patchLabels, float[] sfr, float[] sfrHalf,
                            float[][] attn) {
}
