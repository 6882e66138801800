package dev.clipengine.segment;

import dev.clipengine.image.RgbImage;

/**
 * A segmentation method, the one interface every front end (segment, eval, serve, the Spark job, the Java API) runs
 * (docs/pipeline.md): text features for a vocabulary, then an image in, a label map out. Build one with
 * {@link MethodOptions#create}; a new method is one more implementation.
 *
 * <p>Implementations are stateless apart from the model and options: safe from any number of threads on one model.
 */
public interface SegmentationMethod {

    /** The options this method was built with (what {@code --method} and the protocol options resolved to). */
    MethodOptions options();

    /**
     * One unit-norm feature row per {@link Vocabulary#textRows() text row}: the only place text features are computed
     * (prompt-ensembled and cached by {@link TextFeatures}). A Spark driver computes them once and broadcasts them.
     */
    float[][] textFeatures(Vocabulary vocabulary);

    /**
     * Segments one image with the given text features ({@link #textFeatures}'s rows; null computes them here).
     * Labels index {@code vocabulary}'s labels (C = background when it has background words).
     */
    SegmentResult segment(RgbImage image, Vocabulary vocabulary, float[][] textFeatures);

    default SegmentResult segment(RgbImage image, Vocabulary vocabulary) {
        return segment(image, vocabulary, null);
    }
}
