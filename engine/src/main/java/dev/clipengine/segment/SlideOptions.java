package dev.clipengine.segment;

import dev.clipengine.midlayer.ResClipSettings;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.segmentation.Pamr;

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
 * @param resclip      ResCLIP's constants (its {@code sigma} is this record's); ignored by the other methods
 * @param pamr         PAMR on the logits at the original size before the decision (training-free-methods.md §3.10),
 *                     or null (off)
 */
public record SlideOptions(Method method, double sigma, int shortSide, int maxLong, int crop, int stride,
                           float logitScale, float probThd, Float areaThd, boolean twoStepWhole, boolean padToPatch,
                           PositionalInterpolation posInterp, List<String> templates, ResClipSettings resclip, Pamr pamr)
        implements MethodOptions {

    /** Without ResCLIP constants of its own (the repository's demo settings) and without PAMR. */
    public SlideOptions(Method method, double sigma, int shortSide, int maxLong, int crop, int stride, float logitScale,
                        float probThd, Float areaThd, boolean twoStepWhole, boolean padToPatch,
                        PositionalInterpolation posInterp, List<String> templates) {
        this(method, sigma, shortSide, maxLong, crop, stride, logitScale, probThd, areaThd, twoStepWhole, padToPatch,
                posInterp, templates, ResClipSettings.defaults(), null);
    }

    public SlideOptions {
        templates = List.copyOf(templates);
        java.util.Objects.requireNonNull(resclip, "resclip");
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
        if ((method == Method.NACLIP || method == Method.RESCLIP) && !(sigma > 0 && Double.isFinite(sigma))) throw new IllegalArgumentException("--sigma must be positive, got " + sigma);
    }

    /** ResCLIP's constants with this run's σ. */
    public ResClipSettings resclipSettings() {
        return resclip.withSigma(sigma);
    }

    public SlideOptions withPamr(Pamr p) {
        return new SlideOptions(method, sigma, shortSide, maxLong, crop, stride, logitScale, probThd, areaThd, twoStepWhole,
                padToPatch, posInterp, templates, resclip, p);
    }

    /**
     * The method's dense features: the ViT with the method's last block (training-free-methods.md §2), or the
     * mid-layer methods' encoders (docs/mid-layer-methods.md).
     */
    public DenseFeatures denseFeatures() {
        return switch (method) {
            case SCCLIP -> MidLayerFeatures.scclip(posInterp);
            case RESCLIP -> MidLayerFeatures.resclip(posInterp, logitScale, resclipSettings());
            default -> DenseFeatures.lastBlock(posInterp, method.lastBlock(sigma));
        };
    }

    @Override
    public SegmentationMethod create(ClipModel model) {
        return new SlideMethod(new SlideSegmenter(model, this));
    }

    public boolean wholeImage() {
        return crop == 0;
    }
}
