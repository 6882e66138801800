package dev.clipengine.segment;

import dev.clipengine.image.RgbImage;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** CLIPtrase ({@link Segmenter}: clustering and voting, cliptrase.md §3.2) as a {@link SegmentationMethod}. */
final class CliptraseMethod implements SegmentationMethod {

    private final Segmenter segmenter;

    CliptraseMethod(Segmenter segmenter) {
        this.segmenter = segmenter;
    }

    @Override
    public SegmentOptions options() {
        return segmenter.options();
    }

    @Override
    public float[][] textFeatures(Vocabulary vocabulary) {
        return segmenter.textFeatures(vocabulary);
    }

    @Override
    public SegmentResult segment(RgbImage image, Vocabulary vocabulary, float[][] textFeatures) {
        Segmentation s = segmenter.segment(image, vocabulary, textFeatures);
        SegmentOptions o = segmenter.options();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("size", o.size());
        details.put("protocol", o.protocol().name().toLowerCase(Locale.ROOT));
        details.put("grid", new int[] {s.gridH(), s.gridW()});
        // the original's size and where the map lies on it: a crop, or the whole image in windows (docs/protocols.md)
        details.put("image_width", s.placement().imageWidth());
        details.put("image_height", s.placement().imageHeight());
        details.putAll(s.placement().json());
        details.put("clusters", s.clusters());
        details.put("noise_patches", s.noisePatches());
        return new SegmentResult(vocabulary, s.image(), s.labels(), s.timingsMs(), details, s);
    }
}
