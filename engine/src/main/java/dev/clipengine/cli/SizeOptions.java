package dev.clipengine.cli;

import dev.clipengine.model.PositionalInterpolation;
import picocli.CommandLine.Option;

/**
 * {@code --size} and {@code --pos-interp}, declared once for every command that encodes images ({@code segment},
 * {@code eval}, {@code embed-image}, {@code classify}, {@code bench}). Their defaults differ by command, since each
 * follows its reference (docs/training-free-methods.md): the command passes its own to {@link #size(int)} and
 * {@link #interpolation}, and the help text names each command's default.
 */
final class SizeOptions {

    @Option(names = "--size", paramLabel = "S",
            description = "Network input side in pixels (a multiple of the model's patch). CLIPtrase: the square input's side "
                    + "(--protocol cliptrase) or the image's short side (full), default 336. Slide methods: the short side images "
                    + "are rescaled to (default: the profile's, 336 without one). embed-image, classify: default the model's own "
                    + "size; bench: 224.")
    Integer size;

    @Option(names = "--pos-interp", paramLabel = "MODE",
            description = "How the positional embeddings follow a size other than the model's: cliptrase (the CLIPtrase "
                    + "reference's scale factor (g+0.1)/g0; default of segment and eval) or bicubic (OpenCLIP and Hugging Face; "
                    + "default of embed-image and classify). bench, unless given: bicubic for the encoder, cliptrase for segment.")
    String posInterp;

    /** {@code --size}, else the command's {@code fallback}. */
    int size(int fallback) {
        return size != null ? size : fallback;
    }

    /** {@code --pos-interp}, else the command's {@code fallback}; an unknown mode fails in one line. */
    PositionalInterpolation interpolation(PositionalInterpolation fallback) {
        return posInterp == null ? fallback : PositionalInterpolation.parse(posInterp);
    }
}
