package dev.clipengine.weights;

import java.nio.file.Path;

/**
 * A readable weights file that does not hold a CLIP under any naming we know (no
 * {@code visual.conv1.weight}, no {@code vision_model.embeddings.patch_embedding.weight}).
 * {@code info} still lists such a file's tensors.
 */
public class NotAClipException extends WeightsFormatException {
    public NotAClipException(Path file, String problem) {
        super(file, problem);
    }
}
