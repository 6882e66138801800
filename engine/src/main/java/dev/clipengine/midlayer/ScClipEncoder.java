package dev.clipengine.midlayer;

import dev.clipengine.model.FinalBlock;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.model.Trunk;
import dev.clipengine.model.TrunkRequest;
import dev.clipengine.model.VisionTransformer;

import java.util.HashSet;
import java.util.Set;

/**
 * SC-CLIP's image encoder (docs/mid-layer-methods.md, "SC-CLIP"), with the paper's names: blocks 1..L−1 as CLIP;
 * outliers of the penultimate block's patch tokens found ({@link LocalOutlierScore}) and repaired
 * ({@link OutlierRepair}) in that block and in the prior block; the last block replaced by two passes of its
 * attention with a mid-layer prior ({@link #selfCorrectingAttention}), one on the aggregated, repaired tokens
 * (main) and one on the sum of the middle residual streams (multi-level fusion), each plus the weighted class token
 * and aggregated by the post block's similarities; {@code ln_post(main + fuse)·proj}. No residual, no MLP, and no
 * class token in the output.
 *
 * <p>Stateless apart from the tower: one instance may serve several threads.
 */
public final class ScClipEncoder {

    /** The fewest patches a window may have: the outlier score takes each token's 30 nearest others. */
    public static final int MIN_PATCHES = LocalOutlierScore.SC_CLIP.neighbours() + 1;

    /** SC-CLIP's prior temperature: softmax(3·(S − mean S)). */
    static final float PRIOR_TEMPERATURE = 3.0f;

    private final VisionTransformer tower;
    private final FinalBlock last;
    private final MidLayerBlocks blocks;

    public ScClipEncoder(VisionTransformer tower) {
        this.tower = tower;
        this.last = tower.finalBlock();
        this.blocks = MidLayerBlocks.forDepth(tower.layers(), "scclip");
    }

    /** Encodes one normalized CHW input whose sides are multiples of the patch. */
    public ScClipResult encode(float[] pixels, int height, int width, PositionalInterpolation interpolation) {
        Set<Integer> streams = new HashSet<>();
        streams.add(blocks.outlierBlock());
        streams.add(blocks.priorBlock());
        streams.add(blocks.postBlock());
        for (int l = blocks.fusionFirst(); l <= blocks.fusionLast(); l++) streams.add(l);
        Trunk trunk = tower.trunk(pixels, height, width, new TrunkRequest(interpolation, streams, Set.of()));
        int gh = trunk.gridH(), gw = trunk.gridW(), t = trunk.patches(), d = trunk.width();

        // outliers of the penultimate block, repaired there and in the prior block
        float[] penultimate = trunk.patchRows(blocks.outlierBlock());
        float[] lof = LocalOutlierScore.SC_CLIP.scores(penultimate, t, d);
        int[] outliers = LocalOutlierScore.SC_CLIP.outliers(lof);
        float[] x0 = OutlierRepair.repair(penultimate, gh, gw, d, outliers);
        float[] f9 = Rows.normalized(OutlierRepair.repair(trunk.patchRows(blocks.priorBlock()), gh, gw, d, outliers), t, d);
        float[] sim9 = Rows.gram(f9, t, d);
        float[] agg9 = CoherentAggregation.weights(sim9, t);
        float[] agg4 = CoherentAggregation.weights(Rows.gram(Rows.normalized(trunk.patchRows(blocks.postBlock()), t, d), t, d), t);
        float[] prior = prior(sim9, t);

        // main branch: the aggregated, repaired tokens through the last block's attention, plus the class token
        float[] cls = java.util.Arrays.copyOf(trunk.stream(blocks.outlierBlock()), d);
        float[][] attnMain = new float[last.heads()][];
        float[] mainIn = last.ln1(Rows.multiply(agg9, t, t, x0, d), t);
        float[] main = selfCorrectingAttention(mainIn, t, prior, attnMain);
        Rows.addToEveryRow(main, t, cls, blocks.clsWeight());
        main = Rows.multiply(agg4, t, t, main, d);

        // multi-level fusion: the plain sum of the middle residual streams, class token row included
        float[] zsum = new float[trunk.tokens() * d];
        for (int l = blocks.fusionFirst(); l <= blocks.fusionLast(); l++) {
            float[] z = trunk.stream(l);
            for (int i = 0; i < zsum.length; i++) zsum[i] += z[i];
        }
        float[] fuse = selfCorrectingAttention(last.ln1(java.util.Arrays.copyOfRange(zsum, d, zsum.length), t), t, prior, null);
        Rows.addToEveryRow(fuse, t, java.util.Arrays.copyOf(zsum, d), blocks.clsWeight());
        fuse = Rows.multiply(agg4, t, t, fuse, d);

        float[] sum = new float[t * d];
        for (int i = 0; i < sum.length; i++) sum[i] = main[i] + fuse[i];
        float[] features = last.head(sum, t);
        return new ScClipResult(gh, gw, last.embedDim(), features, lof, outliers, x0, sim9, agg9, agg4, prior,
                attnMain, zsum, main, fuse);
    }

    /**
     * The prior of the last block: {@code softmax_row(3·(S − mean S))} with the entries below the global mean (taken
     * over all T² entries, diagonal included) dropped before the softmax.
     */
    static float[] prior(float[] sim, int t) {
        double mean = 0;
        for (float s : sim) mean += s;
        float m = (float) (mean / sim.length);
        float[] p = new float[sim.length];
        for (int i = 0; i < p.length; i++) {
            float v = PRIOR_TEMPERATURE * (sim[i] - m);
            p[i] = v < 0 ? Float.NEGATIVE_INFINITY : v;
        }
        HeadAttention.softmaxRows(p, t);
        return p;
    }

    /**
     * The last block's attention as SC-CLIP replaces it: per head {@code A_h = (prior + softmax(k_h·k_hᵀ/√d)) / 2},
     * then {@code out_proj(concat_h A_h·v_h)}; no residual, no MLP. {@code y} is already the block's ln_1.
     *
     * @param attention receives each head's A_h when not null
     */
    float[] selfCorrectingAttention(float[] y, int t, float[] prior, float[][] attention) {
        int width = last.width(), heads = last.heads();
        HeadAttention h = new HeadAttention(last.qkv(y, t), t, width, heads);
        float[] context = new float[t * width];
        for (int head = 0; head < heads; head++) {
            float[] a = h.keyKeyLogits(head);
            HeadAttention.softmaxRows(a, t);
            for (int i = 0; i < a.length; i++) a[i] = (prior[i] + a[i]) / 2;
            if (attention != null) attention[head] = a;
            h.applyToValues(a, head, context);
        }
        return last.outProj(context, t);
    }
}
