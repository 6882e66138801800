package dev.clipengine.segment;

import dev.clipengine.model.ClipModel;

import java.util.List;

/**
 * A method's resolved options: records (so the Spark job ships them as their component values) that know which
 * method they configure and build it on a loaded model (docs/pipeline.md "Adding a method"). The seed heads
 * ({@link SeedMethodOptions}) are the exception: each loads its own checkpoint, so they are opened, not created.
 */
public sealed interface MethodOptions permits SegmentOptions, SlideOptions, SeedMethodOptions {

    Method method();

    /** Prompt templates, each with one "{}". */
    List<String> templates();

    /** The method on {@code model} (checks the options against the model, e.g. the image size against its patch). */
    SegmentationMethod create(ClipModel model);
}
