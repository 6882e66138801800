package dev.clipengine.cli;

import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The image of the commands that encode one ({@code embed-image}, {@code classify}); its size is {@link SizeOptions}. */
final class ImageOptions {

    @Option(names = "--image", required = true, paramLabel = "IMG", description = "PNG or JPEG image.")
    Path image;

    @Mixin
    ExifOption exif;

    /** The file and its header, checked without decoding (see {@link ImageDecoder#checkHeader}). */
    void checkHeader() throws IOException {
        ImageDecoder.checkHeader(image);
    }

    RgbImage read() throws IOException {
        return ImageDecoder.read(image, exif.apply());
    }
}
