package dev.clipengine.segment;

import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;

import java.util.List;

/**
 * The slide protocol of the training-free family (docs/training-free-methods.md §3): mmcv rescale of the short side to
 * {@code shortSide} (long side at most {@code maxLong}) with OpenCV's bilinear, 0–255 mean/std normalization,
 * windows of {@code crop} with {@code stride} (or the whole image when {@code crop == 0}), window logits averaged,
 * bilinear to the original size, joint softmax with {@code logitScale}, synonyms max-pooled, {@code areaThd},
 * {@code probThd} → class 0.
 *
 * @param sigma        NACLIP's Gaussian σ in patches (NACLIP only)
 * @param twoStepWhole whole-image mode upsamples to the resized size, then to the original (NACLIP); else directly
 * @param padToPatch   a window whose side is not a multiple of the patch is zero-padded symmetrically, run, and its
 *                     logits cropped back (ClearCLIP); else the trailing pixels are dropped (SCLIP, NACLIP)
 * @param posInterp    how the positional embedding reaches a non-native grid (the family uses the +0.1 scale factor)
 * @param templates    prompt templates, each with one "{}"
 */
public record SlideOptions(Method method, double sigma, int shortSide, int maxLong, int crop, int stride,
                           float logitScale, float probThd, Float areaThd, boolean twoStepWhole, boolean padToPatch,
                           PositionalInterpolation posInterp, List<String> templates) implements MethodOptions {

    public SlideOptions {
        templates = List.copyOf(templates);
        if (templates.isEmpty()) throw new IllegalArgumentException("no prompt templates");
        if (method == Method.CLIPTRASE) {
            throw new IllegalArgumentException("cliptrase runs its own protocols (cliptrase, full), not slide");
        }
        if (shortSide <= 0) throw new IllegalArgumentException("--size must be positive, got " + shortSide);
        if (maxLong < shortSide) throw new IllegalArgumentException("the long-side limit " + maxLong + " is below --size " + shortSide);
        if (crop < 0) throw new IllegalArgumentException("--crop must be 0 (whole image) or positive, got " + crop);
        if (crop > 0 && (stride <= 0 || stride > crop)) {
            throw new IllegalArgumentException("--stride must be in [1, crop=" + crop + "], got " + stride);
        }
        if (!(logitScale > 0 && Float.isFinite(logitScale))) throw new IllegalArgumentException("--logit-scale must be positive, got " + logitScale);
        if (!(probThd >= 0 && probThd <= 1)) throw new IllegalArgumentException("--prob-thd must be in [0, 1], got " + probThd);
        if (areaThd != null && !(areaThd >= 0 && areaThd <= 1)) throw new IllegalArgumentException("--area-thd must be in [0, 1], got " + areaThd);
        if (method == Method.NACLIP && !(sigma > 0 && Double.isFinite(sigma))) throw new IllegalArgumentException("--sigma must be positive, got " + sigma);
    }

    /** The method's dense features: the ViT with the method's last block (training-free-methods.md §2). */
    public DenseFeatures denseFeatures() {
        return DenseFeatures.lastBlock(posInterp, method.lastBlock(sigma));
    }

    @Override
    public SegmentationMethod create(ClipModel model) {
        return new SlideMethod(new SlideSegmenter(model, this));
    }

    public boolean wholeImage() {
        return crop == 0;
    }
}
