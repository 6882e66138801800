package dev.clipengine.segment;

import dev.clipengine.model.ClipModel;
import dev.clipengine.model.LastBlock;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.model.VisionOutput;
import dev.clipengine.model.VisionRequest;

/**
 * The per-method part of the slide protocol (docs/pipeline.md "Adding a method"): one normalized window
 * {@code [3, h, w]} in, the network's output tokens (CLS, then the {@code gh × gw} patches) out. The runner
 * ({@link SlideSegmenter}) does the rest: windows, {@link PatchLogits}, averaging, post-processing. The six methods
 * of training-free-methods.md differ only in the last block ({@link #lastBlock}); a method that taps middle layers or
 * computes the last block otherwise is another implementation.
 */
@FunctionalInterface
public interface DenseFeatures {

    VisionOutput forward(ClipModel model, float[] pixels, int height, int width);

    /** The ViT with {@code block} as its last block. */
    static DenseFeatures lastBlock(PositionalInterpolation posInterp, LastBlock block) {
        return (model, pixels, h, w) -> model.vision().forward(pixels, h, w, VisionRequest.of(posInterp, block));
    }
}
