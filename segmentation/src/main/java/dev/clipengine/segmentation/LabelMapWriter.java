package dev.clipengine.segmentation;

import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.RenderedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Label maps as lossless greyscale PNG whose pixel values are the class ids: 8-bit when {@code numLabels ≤ 256},
 * otherwise 16-bit ({@code TYPE_USHORT_GRAY}, up to 65536 labels). Written atomically.
 */
public final class LabelMapWriter {

    private LabelMapWriter() {
    }

    /**
     * Writes {@code labels} ({@code h × w}, row-major, each in {@code [0, numLabels)}) to {@code path}.
     *
     * @throws IllegalArgumentException for a label outside {@code [0, numLabels)} or {@code numLabels > 65536}
     */
    public static void writePng(Path path, int[] labels, int w, int h, int numLabels) throws IOException {
        writeImage(path, toImage(labels, w, h, numLabels));
    }

    /** The image {@link #writePng} writes: {@code TYPE_BYTE_GRAY} or {@code TYPE_USHORT_GRAY}. */
    public static BufferedImage toImage(int[] labels, int w, int h, int numLabels) {
        if (w < 1 || h < 1 || labels.length != (long) w * h) {
            throw new IllegalArgumentException("labels must hold w*h = " + (long) w * h + " values");
        }
        if (numLabels < 1 || numLabels > 65536) {
            throw new IllegalArgumentException("numLabels must be in [1, 65536], got " + numLabels);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numLabels) {
                throw new IllegalArgumentException("label " + labels[i] + " at pixel " + i + " outside [0, "
                        + numLabels + ")");
            }
        }
        if (numLabels <= 256) {
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            byte[] d = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < labels.length; i++) d[i] = (byte) labels[i];
            return img;
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
        short[] d = ((DataBufferUShort) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < labels.length; i++) d[i] = (short) labels[i];
        return img;
    }

    /** Writes any image as PNG, atomically (temp file in the same directory, then an atomic rename). */
    public static void writeImage(Path path, RenderedImage image) throws IOException {
        AtomicFiles.write(path, out -> encodePng(image, out));
    }

    /**
     * Encodes any image as PNG onto {@code out} with the encoder {@link #writeImage} uses, so a caller that sends
     * the bytes elsewhere (the HTTP service) gives exactly the bytes of the written file.
     */
    public static void encodePng(RenderedImage image, OutputStream out) throws IOException {
        Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("png");
        if (!it.hasNext()) throw new IOException("no PNG writer available");
        ImageWriter writer = it.next();
        // memory cache: ImageIO's default file cache would put another temp file in java.io.tmpdir
        try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(image);
        } finally {
            writer.dispose();
        }
    }
}
