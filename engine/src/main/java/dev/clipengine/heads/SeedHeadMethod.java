package dev.clipengine.heads;

import dev.clipengine.segment.SeedMethodOptions;
import dev.clipengine.segment.SegmentationMethod;

/**
 * A seed head as the one pipeline's {@link SegmentationMethod} (docs/pipeline.md): text features are the class
 * embeddings the checkpoint was trained with (read from the user's file, or recomputed with its text tower), one
 * row per class of a vocabulary of one name per class, as the head takes them (not re-normalised); the labels index
 * the vocabulary's classes. It owns the checkpoint it loaded: close it once no segmentation runs.
 */
public interface SeedHeadMethod extends SegmentationMethod, AutoCloseable {

    @Override
    SeedMethodOptions options();

    @Override
    void close();
}
