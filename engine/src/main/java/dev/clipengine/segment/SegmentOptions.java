package dev.clipengine.segment;

import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;

import java.util.List;

/**
 * How to segment (docs/cliptrase.md §3). Defaults follow the reference: 336 px with DBSCAN eps 1.1 /
 * min-samples 7, CLIPtrase's positional interpolation, CLS-row denoising, the 80 ImageNet templates.
 *
 * @param size          network input side S (short side resized to S)
 * @param protocol      {@link Protocol#CLIPTRASE}: centre crop S×S, maps at S×S (the reference);
 *                      {@link Protocol#FULL}: whole image, non-square grid, maps at the original size, in windows
 *                      along the long side where it exceeds one pass (docs/protocols.md)
 * @param eps           DBSCAN radius; null = the reference's value for the size
 * @param minSamples    DBSCAN core threshold; null = the reference's value for the size
 * @param clsReweight   multiply each class's logits by its CLS logit (the reference does it for VOC20 only);
 *                      null = on exactly when the vocabulary is the bundled VOC20
 * @param denoise       how W is cleaned before clustering
 * @param templates     prompt templates, each with one "{}"
 */
public record SegmentOptions(int size, Protocol protocol, Double eps, Integer minSamples, Boolean clsReweight,
                             DenoiseMode denoise, PositionalInterpolation posInterp, List<String> templates)
        implements MethodOptions {

    public enum Protocol { CLIPTRASE, FULL }

    public enum DenoiseMode {
        /** Reference code: subtract W's CLS row from every patch row, clamp at 0. */
        CLS_ROW,
        /** The paper's Eq. 7 self-weight filter, as interpreted in {@code Denoise.selfWeight}. */
        SELF_WEIGHT
    }

    public SegmentOptions {
        templates = List.copyOf(templates);
        if (templates.isEmpty()) throw new IllegalArgumentException("no prompt templates");
        if (eps != null && !(eps > 0 && Double.isFinite(eps))) throw new IllegalArgumentException("--eps must be a positive number, got " + eps);
        if (minSamples != null && minSamples < 1) throw new IllegalArgumentException("--min-samples must be at least 1, got " + minSamples);
    }

    @Override
    public Method method() {
        return Method.CLIPTRASE;
    }

    @Override
    public SegmentationMethod create(ClipModel model) {
        return new CliptraseMethod(new Segmenter(model, this));
    }

    public static SegmentOptions defaults() {
        return new SegmentOptions(336, Protocol.CLIPTRASE, null, null, null, DenoiseMode.CLS_ROW,
                PositionalInterpolation.CLIPTRASE, Vocabulary.imageNetTemplates());
    }

    /** The reference's DBSCAN radius: 0.7 at 224, 1.1 at 336; other sizes take the nearer of the two. */
    public double effectiveEps() {
        return eps != null ? eps : (size < 280 ? 0.7 : 1.1);
    }

    /** The reference's min-samples: 3 at 224, 7 at 336; other sizes take the nearer of the two. */
    public int effectiveMinSamples() {
        return minSamples != null ? minSamples : (size < 280 ? 3 : 7);
    }

    public boolean effectiveClsReweight(Vocabulary vocabulary) {
        return clsReweight != null ? clsReweight : vocabulary.name().equals("VOC20");
    }

    public SegmentOptions withSize(int s) {
        return new SegmentOptions(s, protocol, eps, minSamples, clsReweight, denoise, posInterp, templates);
    }

    public SegmentOptions withDbscan(Double e, Integer m) {
        return new SegmentOptions(size, protocol, e, m, clsReweight, denoise, posInterp, templates);
    }
}
