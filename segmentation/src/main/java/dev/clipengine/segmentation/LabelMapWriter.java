package dev.clipengine.segmentation;

import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.IndexColorModel;
import java.awt.image.RenderedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Label maps as lossless PNG whose pixel values are the class ids. Up to 256 labels: an 8-bit indexed PNG whose
 * palette holds the class colours of the overlay and its legend ({@link Palette}), so the map is visible in any
 * viewer while a reader of the raw samples (PIL mode {@code P}, {@code ImageIO}'s raster) still gets the class
 * index. Beyond 256 labels a palette cannot hold them: 16-bit greyscale ({@code TYPE_USHORT_GRAY}, up to 65536
 * labels), whose values are again the ids. Written atomically.
 */
public final class LabelMapWriter {

    /** The most labels an indexed PNG can hold (PNG palettes have at most 256 entries). */
    public static final int MAX_INDEXED = 256;

    private LabelMapWriter() {
    }

    /**
     * Writes {@code labels} ({@code h × w}, row-major, each in {@code [0, numLabels)}) to {@code path}, with the
     * default class colours ({@link Palette#forClasses}, no background class).
     *
     * @throws IllegalArgumentException for a label outside {@code [0, numLabels)} or {@code numLabels > 65536}
     */
    public static void writePng(Path path, int[] labels, int w, int h, int numLabels) throws IOException {
        writeImage(path, toImage(labels, w, h, numLabels));
    }

    /**
     * Writes {@code labels} with the palette the overlay of these classes uses ({@link Palette#forNames}): one name
     * per label, {@code classNames.length} labels.
     */
    public static void writePng(Path path, int[] labels, int w, int h, String[] classNames) throws IOException {
        writeImage(path, toImage(labels, w, h, classNames));
    }

    /** The image {@link #writePng(Path, int[], int, int, String[])} writes (the HTTP service encodes the same one). */
    public static BufferedImage toImage(int[] labels, int w, int h, String[] classNames) {
        int n = classNames.length;
        return toImage(labels, w, h, n, n <= MAX_INDEXED ? Palette.forNames(classNames) : null);
    }

    /** {@link #toImage(int[], int, int, int, int[])} with the default class colours ({@link Palette#forClasses}). */
    public static BufferedImage toImage(int[] labels, int w, int h, int numLabels) {
        return toImage(labels, w, h, numLabels, numLabels <= MAX_INDEXED ? Palette.forClasses(Math.max(numLabels, 0), -1) : null);
    }

    /**
     * The image {@link #writePng} writes: {@code TYPE_BYTE_INDEXED} with {@code colors} ({@code 0xRRGGBB}, at least
     * one per label) as its palette for up to 256 labels, else {@code TYPE_USHORT_GRAY} ({@code colors} unused).
     */
    public static BufferedImage toImage(int[] labels, int w, int h, int numLabels, int[] colors) {
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
        if (numLabels <= MAX_INDEXED) {
            if (colors == null || colors.length < numLabels) throw new IllegalArgumentException("need one colour per label");
            // exactly numLabels palette entries: the PNG's PLTE lists the classes and nothing else
            byte[] r = new byte[numLabels], g = new byte[numLabels], b = new byte[numLabels];
            for (int c = 0; c < numLabels; c++) {
                r[c] = (byte) (colors[c] >> 16);
                g[c] = (byte) (colors[c] >> 8);
                b[c] = (byte) colors[c];
            }
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, numLabels, r, g, b));
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
