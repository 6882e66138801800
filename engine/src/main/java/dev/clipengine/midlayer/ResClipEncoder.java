package dev.clipengine.midlayer;

import dev.clipengine.kernels.Resample;
import dev.clipengine.model.FinalBlock;
import dev.clipengine.model.NeighbourhoodBias;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.model.Trunk;
import dev.clipengine.model.TrunkRequest;
import dev.clipengine.model.VisionTransformer;
import dev.clipengine.segmentation.Pamr;

import java.util.HashSet;
import java.util.Set;

/**
 * ResCLIP's image encoder on NACLIP (docs/mid-layer-methods.md, "ResCLIP"), with the paper's names: blocks 1..L−1 as
 * CLIP; RCS, the mean of the middle blocks' attention per head; the last block replaced by NACLIP's k·k attention
 * plus the neighbourhood prior Ω, mixed after the softmax with RCS, no residual, no MLP. It runs twice on the same
 * input: pass 1 gives a preliminary segmentation (cosine logits with every query, bilinear to the input size, PAMR,
 * softmax, {@code temp_thd}, majority label per patch), from which the SFR matrix is built; pass 2 mixes it into
 * the logits before the softmax and gives the features.
 *
 * <p>Stateless apart from the tower: one instance may serve several threads.
 */
public final class ResClipEncoder {

    private final VisionTransformer tower;
    private final FinalBlock last;
    private final MidLayerBlocks blocks;
    private final int patch;

    public ResClipEncoder(VisionTransformer tower) {
        this.tower = tower;
        this.last = tower.finalBlock();
        this.blocks = MidLayerBlocks.forDepth(tower.layers(), "resclip");
        this.patch = tower.patchSize();
    }

    /**
     * Encodes one normalized CHW input of any size: the network sees the whole patches (trailing pixels dropped),
     * pass 1's maps and PAMR's guide are at the full {@code height × width}, as the repository's are.
     *
     * @param queries    L2-normalized query features (synonyms are separate queries)
     * @param logitScale the segmentor's scale for pass 1's softmax (40)
     */
    public ResClipResult encode(float[] pixels, int height, int width, PositionalInterpolation interpolation,
                                float[][] queries, float logitScale, ResClipSettings settings) {
        int netH = height / patch * patch, netW = width / patch * patch;
        if (netH == 0 || netW == 0) {
            throw new IllegalArgumentException("input " + width + "x" + height + " is smaller than one " + patch + "-pixel patch");
        }
        float[] input = crop(pixels, height, width, netH, netW);
        Set<Integer> rcsBlocks = new HashSet<>();
        for (int l = blocks.rcsFirst(); l <= blocks.rcsLast(); l++) rcsBlocks.add(l);
        int penultimate = tower.layers() - 1;
        Trunk trunk = tower.trunk(input, netH, netW, new TrunkRequest(interpolation, Set.of(penultimate), rcsBlocks));
        int gh = trunk.gridH(), gw = trunk.gridW(), n = trunk.tokens(), heads = trunk.heads();

        float[] rcs = residualCrossCorrelation(trunk, rcsBlocks.size());
        float[] omega = NeighbourhoodBias.of(gh, gw, settings.sigma());
        HeadAttention kv = new HeadAttention(last.qkv(last.ln1(trunk.stream(penultimate), n), n), n, last.width(), heads);

        // pass 1: the preliminary segmentation
        float[][] pass1Attn = new float[heads][];
        float[] pass1 = last.head(attend(kv, n, omega, rcs, null, settings, pass1Attn), n);
        float[] pass1Features = java.util.Arrays.copyOfRange(pass1, last.embedDim(), n * last.embedDim());
        int t = gh * gw, q = queries.length;
        float[] logits = Rows.cosineLogits(pass1Features, t, last.embedDim(), queries);
        float[] maps = Resample.bilinear(logits, q, gh, gw, height, width);
        maps = Pamr.standard().refine(maps, q, pixels, 3, height, width);
        PreliminaryLabels prelim = PreliminaryLabels.of(maps, q, height, width, logitScale, settings.tempThd());
        int[] patchLabels = PatchLabels.majority(prelim.labels(), height, width, patch, q);

        // pass 2: the SFR matrix mixed in before the softmax
        float[] sfr = SfrMatrix.of(patchLabels, gh, gw, settings.sigma());
        float[] sfrHalf = halfScaled(sfr);
        float[][] attn = new float[heads][];
        float[] out = last.head(attend(kv, n, omega, rcs, sfrHalf, settings, attn), n);
        float[] features = java.util.Arrays.copyOfRange(out, last.embedDim(), n * last.embedDim());
        return new ResClipResult(gh, gw, last.embedDim(), features, rcs, pass1Attn, pass1Features, prelim.labels(),
                patchLabels, sfr, sfrHalf, attn);
    }

    /** R = the mean of the RCS blocks' attention probabilities, per head, class token included. */
    private float[] residualCrossCorrelation(Trunk trunk, int count) {
        float[] r = null;
        for (int l = blocks.rcsFirst(); l <= blocks.rcsLast(); l++) {
            float[] a = trunk.attention(l);
            if (r == null) r = a.clone();
            else for (int i = 0; i < r.length; i++) r[i] += a[i];
        }
        for (int i = 0; i < r.length; i++) r[i] /= count;
        return r;
    }

    /**
     * {@code S̃ = fp16(S / max S)}: the repository casts the normalized matrix to half precision, and this rounding
     * survives in an fp32 run, so it is part of the reference.
     */
    static float[] halfScaled(float[] sfr) {
        float max = 0;
        for (float v : sfr) max = Math.max(max, v);
        float[] out = new float[sfr.length];
        for (int i = 0; i < out.length; i++) out[i] = half(sfr[i] / max);
        return out;
    }

    static float half(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    /**
     * The replaced last block: per head {@code Λ = k·kᵀ/√d}; in pass 2 {@code Λ = τ_s·((1−λ_s)·Λ + fp16(fp16(λ_s)·S̃))}
     * (the product is a half-precision one in the repository, λ_s rounded to half as well); {@code Λ += Ω};
     * {@code P = softmax(Λ)}; {@code A = τ_r·((1−λ_r)·P + λ_r·R)}; then {@code out_proj(concat A·v)}.
     */
    private float[] attend(HeadAttention kv, int n, float[] omega, float[] rcs, float[] sfrHalf, ResClipSettings s,
                           float[][] attention) {
        int heads = attention.length, nn = n * n;
        float keepS = (float) (1.0 - (double) s.sfrLambda()), lambdaSHalf = half(s.sfrLambda());
        float keepR = (float) (1.0 - (double) s.rcsLambda());
        float[] context = new float[n * last.width()];
        for (int h = 0; h < heads; h++) {
            float[] a = kv.keyKeyLogits(h);
            if (sfrHalf != null) {
                for (int i = 0; i < nn; i++) a[i] = s.sfrTau() * (keepS * a[i] + half(lambdaSHalf * sfrHalf[i]));
            }
            for (int i = 0; i < nn; i++) a[i] += omega[i];
            HeadAttention.softmaxRows(a, n);
            int r = h * nn;
            for (int i = 0; i < nn; i++) a[i] = s.rcsTau() * (keepR * a[i] + s.rcsLambda() * rcs[r + i]);
            attention[h] = a;
            kv.applyToValues(a, h, context);
        }
        return last.outProj(context, n);
    }

    private static float[] crop(float[] pixels, int h, int w, int netH, int netW) {
        if (netH == h && netW == w) return pixels;
        float[] out = new float[3 * netH * netW];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < netH; y++) System.arraycopy(pixels, (c * h + y) * w, out, (c * netH + y) * netW, netW);
        }
        return out;
    }
}
