package dev.clipengine.segment;

import dev.clipengine.model.ClipModel;
import dev.clipengine.model.VisionOutput;

/**
 * Dense features that need more than the window's whole patches (docs/mid-layer-methods.md, "ResCLIP"): the window at
 * its own pixel size (ResCLIP's first pass upsamples to it and guides PAMR with it) and the text rows (the first pass
 * segments with them). {@link SlideSegmenter} gives such a method the whole window and the text; the network still sees
 * the whole patches only.
 */
public interface WindowFeatures extends DenseFeatures {

    /** The features of one normalized window {@code [3, height, width]} of any size. */
    VisionOutput forwardWindow(ClipModel model, float[] window, int height, int width, float[][] text);

    /** Without text this method cannot run; the slide runner always calls {@link #forwardWindow}. */
    @Override
    default VisionOutput forward(ClipModel model, float[] pixels, int height, int width) {
        throw new UnsupportedOperationException("this method's features depend on the text rows: use forwardWindow");
    }
}
