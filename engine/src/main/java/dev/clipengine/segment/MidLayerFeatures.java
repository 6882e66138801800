package dev.clipengine.segment;

import dev.clipengine.midlayer.ResClipEncoder;
import dev.clipengine.midlayer.ResClipResult;
import dev.clipengine.midlayer.ResClipSettings;
import dev.clipengine.midlayer.ScClipEncoder;
import dev.clipengine.midlayer.ScClipResult;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.model.VisionOutput;

/**
 * SC-CLIP's and ResCLIP's dense features as the slide runner takes them (docs/mid-layer-methods.md): their encoders
 * ({@link ScClipEncoder}, {@link ResClipEncoder}) on the model's tower. Their outputs have no class token; the
 * {@link VisionOutput} carries a zero row 0 in its place, which {@link PatchLogits#of} skips.
 */
final class MidLayerFeatures {

    private MidLayerFeatures() {
    }

    static DenseFeatures scclip(PositionalInterpolation posInterp) {
        return (model, pixels, h, w) -> {
            ScClipResult r = new ScClipEncoder(model.vision()).encode(pixels, h, w, posInterp);
            return withEmptyClassRow(r.gridH(), r.gridW(), r.embedDim(), r.features());
        };
    }

    /** ResCLIP; its first pass uses {@code logitScale} (the segmentor's, 40 in every profile). */
    static WindowFeatures resclip(PositionalInterpolation posInterp, float logitScale, ResClipSettings settings) {
        return (model, window, h, w, text) -> {
            ResClipResult r = new ResClipEncoder(model.vision()).encode(window, h, w, posInterp, text, logitScale, settings);
            return withEmptyClassRow(r.gridH(), r.gridW(), r.embedDim(), r.features());
        };
    }

    static VisionOutput withEmptyClassRow(int gh, int gw, int embed, float[] patches) {
        float[] tokens = new float[(1 + gh * gw) * embed];
        System.arraycopy(patches, 0, tokens, embed, patches.length);
        return new VisionOutput(gh, gw, embed, tokens, null, null);
    }
}
