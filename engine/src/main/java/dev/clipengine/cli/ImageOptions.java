package dev.clipengine.cli;

import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.PositionalInterpolation;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** Image input options shared by the commands that encode one image. */
final class ImageOptions {

    @Option(names = "--image", required = true, paramLabel = "IMG", description = "PNG or JPEG image.")
    Path image;

    @Option(names = "--size", paramLabel = "S",
            description = "Network input side: short side resized to S (PIL bicubic), centre crop SxS. Default: the model's image size.")
    Integer size;

    @Option(names = "--pos-interp", paramLabel = "MODE", defaultValue = "bicubic",
            description = "Positional embedding interpolation when S differs from the model's size: bicubic (OpenCLIP/HF, default) or cliptrase (scale_factor (g+0.1)/g0).")
    String posInterp;

    @Mixin
    ExifOption exif;

    /** The file and its header, checked without decoding (see {@link ImageDecoder#checkHeader}). */
    void checkHeader() throws IOException {
        ImageDecoder.checkHeader(image);
    }

    RgbImage read() throws IOException {
        return ImageDecoder.read(image, exif.apply());
    }

    PositionalInterpolation interpolation() {
        return PositionalInterpolation.parse(posInterp);
    }
}
