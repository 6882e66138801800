package dev.clipengine.segmentation;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads label maps: the stored value of each pixel (palette index, 8- or 16-bit grey), not a colour. */
public final class LabelMaps {

    private LabelMaps() {
    }

    /** A label map and its size. */
    public record Map(int width, int height, int[] values) {
    }

    /**
     * Reads a single-band PNG (greyscale 8/16-bit or palette; for a palette image the index, as VOC's
     * {@code SegmentationClass} stores it).
     */
    public static Map read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) throw new IOException(file + ": not a readable label image (PNG expected)");
        Raster r = img.getRaster();
        if (r.getNumBands() != 1) {
            throw new IOException(file + ": label maps must have one band (grey or palette), this one has " + r.getNumBands());
        }
        int w = img.getWidth(), h = img.getHeight();
        return new Map(w, h, r.getPixels(0, 0, w, h, (int[]) null));
    }
}
