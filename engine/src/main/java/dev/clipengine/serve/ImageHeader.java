package dev.clipengine.serve;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Optional;

/**
 * The size an uploaded image declares in its header, read without decoding a pixel, so that the service can refuse a
 * decompression bomb (a few kilobytes declaring hundreds of megapixels) before it costs memory. The engine's decoder
 * has its own, much larger ceiling (PIL's); a shared service wants a smaller one per request.
 */
final class ImageHeader {

    record Size(int width, int height) {
        long pixels() {
            return (long) width * height;
        }
    }

    private ImageHeader() {
    }

    /**
     * The declared size, or empty when no reader recognises the bytes or the header is unreadable: then the decoder
     * itself gives the user its precise message ("not a supported image", "truncated PNG header", …).
     */
    static Optional<Size> read(byte[] bytes) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            if (in == null) return Optional.empty();
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) return Optional.empty();
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return Optional.of(new Size(reader.getWidth(0), reader.getHeight(0)));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
