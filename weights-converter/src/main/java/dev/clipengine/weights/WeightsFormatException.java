package dev.clipengine.weights;

import java.io.IOException;
import java.nio.file.Path;

/** A weights file that cannot be used: the message names the file and the problem in one line. */
public class WeightsFormatException extends IOException {
    public WeightsFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public WeightsFormatException(String message) {
        super(message);
    }
}
