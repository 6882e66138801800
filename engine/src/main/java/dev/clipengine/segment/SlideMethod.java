package dev.clipengine.segment;

import dev.clipengine.image.RgbImage;

import java.util.LinkedHashMap;
import java.util.Map;

/** A slide-protocol method ({@link SlideSegmenter} with its dense-features strategy) as a {@link SegmentationMethod}. */
final class SlideMethod implements SegmentationMethod {

    private final SlideSegmenter segmenter;

    SlideMethod(SlideSegmenter segmenter) {
        this.segmenter = segmenter;
    }

    @Override
    public SlideOptions options() {
        return segmenter.options();
    }

    @Override
    public float[][] textFeatures(Vocabulary vocabulary) {
        return segmenter.textFeatures(vocabulary);
    }

    @Override
    public SegmentResult segment(RgbImage image, Vocabulary vocabulary, float[][] textFeatures) {
        SlideSegmenter.Result r = segmenter.segment(image, vocabulary, textFeatures);
        SlideOptions o = segmenter.options();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("method", o.method().cliName());
        details.put("protocol", "slide");
        details.put("size", o.shortSide());
        details.put("queries", vocabulary.textRows().size());
        details.put("image_width", r.width());     // maps are at the original size
        details.put("image_height", r.height());
        details.put("resized", new int[] {r.resizedWidth(), r.resizedHeight()});
        details.put("crop", o.crop());
        details.put("stride", o.stride());
        details.put("windows", r.windows());
        details.put("logit_scale", o.logitScale());
        details.put("prob_thd", o.probThd());
        details.put("area_thd", o.areaThd());
        if (o.pamr() != null) details.put("pamr", Map.of("steps", o.pamr().steps(), "dilations", o.pamr().dilations()));
        return new SegmentResult(vocabulary, image, r.labels(), r.timingsMs(), details, r);
    }
}
