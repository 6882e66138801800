package dev.clipengine.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.EOFException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes an image file into an {@link RgbImage} with {@code javax.imageio} (PNG, JPEG, BMP, GIF,
 * WBMP, TIFF), giving what PIL's {@code Image.open(f).convert("RGB")} gives:
 * <ul>
 *   <li>grey → replicated; palette → looked up; alpha (RGBA, grey+alpha, transparent palette) dropped;</li>
 *   <li>grey PNGs of 1, 2 or 4 bits are scaled to 0..255 (PIL's {@code L;1/L;2/L;4} unpackers);</li>
 *   <li>16-bit RGB(A) PNGs: the high byte of each sample (as PIL does); 16-bit <b>grey</b> PNGs: also
 *       the high byte. This is a deliberate deviation: PIL opens them as mode {@code I;16}/{@code I}
 *       and {@code convert("RGB")} <i>clips</i> (every value >= 256 becomes 255), which whitens almost
 *       every real 16-bit image;</li>
 *   <li>no colour management: embedded ICC profiles and PNG gamma are ignored, as PIL ignores them;</li>
 *   <li>EXIF orientation (JPEG APP1, PNG {@code eXIf}, TIFF IFD0, tag 0x0112) is applied only when
 *       asked — the CLIPtrase reference does not apply it; the command line asks by default
 *       ({@code --no-exif} turns it off).</li>
 * </ul>
 * Every failure is an {@link IOException} whose message is one line naming the file: missing file,
 * empty file, not an image (with the first bytes), truncated or corrupt data, CMYK/YCCK JPEG,
 * more than {@link #MAX_PIXELS} pixels, or more than the file's bytes can code, or a header that
 * contradicts itself ({@link EncodedImageCheck}), all checked before any pixel is decoded.
 */
public final class ImageDecoder {
    private ImageDecoder() {}

    /** PIL's decompression-bomb error threshold: {@code 2 * Image.MAX_IMAGE_PIXELS}. */
    public static final long MAX_PIXELS = 178_956_970L;

    static {
        ImageIO.setUseCache(false);
    }

    /** Decodes {@code file} without applying EXIF orientation (the reference behaviour). */
    public static RgbImage read(Path file) throws IOException {
        return read(file, false);
    }

    /**
     * Decodes {@code file} to RGB; with {@code applyExifOrientation} the EXIF orientation tag
     * (values 2..8) is applied like PIL's {@code ImageOps.exif_transpose}.
     */
    public static RgbImage read(Path file, boolean applyExifOrientation) throws IOException {
        return read(readFile(file), file.toString(), applyExifOrientation);
    }

    /**
     * Checks what {@link #read(Path, boolean)} checks before decoding a pixel — the file, the header's
     * structure, the declared size against {@link #MAX_PIXELS} and against what the file's bytes can code
     * — without decoding: a command calls it for every input before it loads a model, so that a bomb or
     * a broken file is refused in one line in milliseconds rather than after the model load.
     *
     * @throws IOException the same one-line message {@code read} would give for these faults
     */
    public static void checkHeader(Path file) throws IOException {
        byte[] bytes = readFile(file);
        String name = file.toString();
        byte[] head = bytes.length <= HEAD_BYTES ? bytes : Arrays.copyOf(bytes, HEAD_BYTES);
        Format format = checkStructure(bytes, head, name);
        try (ImageInputStream iis = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = reader(iis, head, name);
            try {
                reader.setInput(iis, true, true);
                checkSize(reader, format, bytes.length, name);
            } finally {
                reader.dispose();
            }
        }
    }

    /** The whole file, after the checks that need no byte of it, each failure one line naming the file. */
    private static byte[] readFile(Path file) throws IOException {
        String name = file.toString();
        if (!Files.exists(file)) throw fail(name, "no such file");
        if (Files.isDirectory(file)) throw fail(name, "is a directory");
        if (!Files.isReadable(file)) throw fail(name, "file is not readable");
        long size = Files.size(file);
        if (size == 0) throw fail(name, "empty file (0 bytes)");
        if (size > MAX_FILE_BYTES) throw fail(name, "file of " + size + " bytes is too large to decode (limit " + MAX_FILE_BYTES + ")");
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw fail(name, "no such file");
        }
    }

    /** Largest encoded file decoded: the whole file is held in one array. */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 16;

    /**
     * Decodes an encoded image held in memory (e.g. read from HDFS or S3 by a Spark task), exactly as
     * {@link #read(Path, boolean)} decodes the same bytes from a file; {@code name} (a path or URI)
     * only labels the error messages.
     */
    public static RgbImage read(byte[] bytes, String name, boolean applyExifOrientation) throws IOException {
        if (bytes.length == 0) throw fail(name, "empty file (0 bytes)");
        byte[] head = bytes.length <= HEAD_BYTES ? bytes : Arrays.copyOf(bytes, HEAD_BYTES);
        Format format = checkStructure(bytes, head, name);
        RgbImage img;
        try (ImageInputStream iis = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = reader(iis, head, name);
            List<String> warnings = new ArrayList<>();
            try {
                reader.setInput(iis, true, true);
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                long[] size = checkSize(reader, format, bytes.length, name);
                int w = (int) size[0], h = (int) size[1];
                BufferedImage bi;
                try {
                    ImageReadParam param = reader.getDefaultReadParam();
                    bi = reader.read(0, param);
                } catch (EOFException e) {
                    throw fail(name, "truncated " + reader.getFormatName().toUpperCase(Locale.ROOT) + " data");
                } catch (IOException | RuntimeException e) {
                    String m = message(e);
                    if (m.toLowerCase(Locale.ROOT).contains("unsupported image type") && format == Format.JPEG) {
                        throw fail(name, "unsupported JPEG colour space (CMYK/YCCK?)");
                    }
                    throw fail(name, "corrupt or truncated " + reader.getFormatName().toUpperCase(Locale.ROOT) + " data: " + m);
                } catch (OutOfMemoryError e) {
                    throw fail(name, "not enough memory to decode " + w + "x" + h + " image");
                }
                for (String wmsg : warnings) {
                    String lw = wmsg.toLowerCase(Locale.ROOT);
                    if (lw.contains("premature end") || lw.contains("truncat")) {
                        throw fail(name, "truncated " + reader.getFormatName().toUpperCase(Locale.ROOT) + " data (" + oneLine(wmsg) + ")");
                    }
                }
                img = toRgb(bi, name);
            } finally {
                reader.dispose();
            }
        }
        if (applyExifOrientation) {
            int orientation = exifOrientation(bytes, format, head);
            img = orient(img, orientation);
        }
        return img;
    }

    /** The format, after the checks of the header's structure that need no decoder. */
    private static Format checkStructure(byte[] bytes, byte[] head, String name) throws IOException {
        Format format = Format.sniff(head);
        if (format == Format.JPEG) {
            int comps = jpegComponents(head);
            if (comps == 4) throw fail(name, "CMYK/YCCK JPEG is not supported (convert it to RGB first)");
        }
        String unsound = EncodedImageCheck.structure(format, format == Format.JPEG ? bytes : head);
        if (unsound != null) throw fail(name, unsound);
        return format;
    }

    private static ImageReader reader(ImageInputStream iis, byte[] head, String name) throws IOException {
        if (iis == null) throw fail(name, "cannot open");
        Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
        if (!readers.hasNext()) {
            throw fail(name, "not a supported image (PNG, JPEG, BMP, GIF, TIFF); file starts with " + describe(head));
        }
        return readers.next();
    }

    /**
     * The declared {width, height}, refused when absurd: over {@link #MAX_PIXELS}, or more than the file's
     * bytes can code (checked before the reader allocates its raster for the declared size).
     */
    private static long[] checkSize(ImageReader reader, Format format, long fileBytes, String name) throws IOException {
        int w, h;
        try {
            w = reader.getWidth(0);
            h = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw fail(name, "corrupt or truncated " + reader.getFormatName().toUpperCase(Locale.ROOT) + " header: " + message(e));
        }
        if (w <= 0 || h <= 0) throw fail(name, "invalid image size " + w + "x" + h);
        if ((long) w * h > MAX_PIXELS) {
            throw fail(name, "image size " + w + "x" + h + " (" + ((long) w * h) + " pixels) exceeds the limit of "
                    + MAX_PIXELS + " pixels (possible decompression bomb)");
        }
        String tooMany = EncodedImageCheck.pixelsVersusData(format, w, h, fileBytes);
        if (tooMany != null) throw fail(name, tooMany);
        return new long[] {w, h};
    }

    /** Bytes the format sniffing and the JPEG frame-header check look at. */
    private static final int HEAD_BYTES = 1 << 16;

    // ------------------------------------------------------------------ pixel conversion

    private static RgbImage toRgb(BufferedImage bi, String file) throws IOException {
        int w = bi.getWidth(), h = bi.getHeight();
        ColorModel cm = bi.getColorModel();
        Raster r = bi.getRaster();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        int[] row = new int[w];
        int csType = cm.getColorSpace().getType();
        if (cm instanceof IndexColorModel icm) {
            int n = icm.getMapSize();
            byte[] rs = new byte[n], gs = new byte[n], bs = new byte[n];
            icm.getReds(rs);
            icm.getGreens(gs);
            icm.getBlues(bs);
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int i = Math.min(row[x], n - 1), o = (y * w + x) * 3;
                    out[o] = rs[i];
                    out[o + 1] = gs[i];
                    out[o + 2] = bs[i];
                }
            }
        } else if (csType == ColorSpace.TYPE_GRAY && r.getNumBands() >= 1) {
            int bits = cm.getComponentSize(0);
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    byte v = (byte) to8(row[x], bits);
                    int o = (y * w + x) * 3;
                    out[o] = v;
                    out[o + 1] = v;
                    out[o + 2] = v;
                }
            }
        } else if (csType == ColorSpace.TYPE_RGB && r.getNumBands() >= 3) {
            for (int c = 0; c < 3; c++) {
                int bits = cm.getComponentSize(c);
                for (int y = 0; y < h; y++) {
                    r.getSamples(0, y, w, 1, c, row);
                    for (int x = 0; x < w; x++) out[(y * w + x) * 3 + c] = (byte) to8(row[x], bits);
                }
            }
        } else if (csType == ColorSpace.TYPE_CMYK) {
            throw fail(file, "CMYK images are not supported (convert it to RGB first)");
        } else {
            // any other colour model: let Java2D convert to sRGB
            for (int y = 0; y < h; y++) {
                bi.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int p = row[x], o = (y * w + x) * 3;
                    out[o] = (byte) (p >> 16);
                    out[o + 1] = (byte) (p >> 8);
                    out[o + 2] = (byte) p;
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** A sample of {@code bits} bits to 8 bits: high byte for 16, PIL's {@code v * 255 / max} below 8. */
    private static int to8(int v, int bits) {
        if (bits == 8) return v & 0xff;
        if (bits > 8) return (v >>> (bits - 8)) & 0xff;
        int max = (1 << bits) - 1;
        return v * 255 / max;
    }

    // ------------------------------------------------------------------ EXIF orientation

    /** Applies EXIF orientation {@code o} (1..8; anything else = unchanged) like PIL's exif_transpose. */
    static RgbImage orient(RgbImage src, int o) {
        if (o < 2 || o > 8) return src;
        int w = src.width(), h = src.height();
        boolean swap = o >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        byte[] in = src.rgb(), out = new byte[in.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx, sy;
                switch (o) {
                    case 2 -> { sx = w - 1 - x; sy = y; }          // FLIP_LEFT_RIGHT
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }  // ROTATE_180
                    case 4 -> { sx = x; sy = h - 1 - y; }          // FLIP_TOP_BOTTOM
                    case 5 -> { sx = y; sy = x; }                  // TRANSPOSE
                    case 6 -> { sx = y; sy = h - 1 - x; }          // ROTATE_270 (90° clockwise)
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }  // TRANSVERSE
                    default -> { sx = w - 1 - y; sy = x; }         // 8: ROTATE_90 (90° counter-clockwise)
                }
                int s = (sy * w + sx) * 3, d = (y * ow + x) * 3;
                out[d] = in[s];
                out[d + 1] = in[s + 1];
                out[d + 2] = in[s + 2];
            }
        }
        return new RgbImage(ow, oh, out);
    }

    /** The EXIF orientation of the encoded image, 1 when absent or unreadable. */
    static int exifOrientation(byte[] bytes, Format format, byte[] head) {
        return switch (format) {
            // JPEG: the first MiB, as before the in-memory variant existed (APP1 precedes the scan)
            case JPEG -> jpegOrientation(bytes.length <= 1 << 20 ? bytes : Arrays.copyOf(bytes, 1 << 20));
            case PNG -> pngOrientation(bytes);
            case TIFF -> tiffOrientation(head, 0, head.length);
            default -> 1;
        };
    }

    /** Orientation from the first APP1 "Exif\0\0" segment before the first scan. */
    static int jpegOrientation(byte[] b) {
        int p = 2;
        while (p + 4 <= b.length) {
            if ((b[p] & 0xff) != 0xFF) return 1;
            int marker = b[p + 1] & 0xff;
            if (marker == 0xFF) { p++; continue; }             // fill byte
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { p += 2; continue; }
            if (marker == 0xDA || marker == 0xD9) return 1;    // start of scan / end of image
            int len = u16be(b, p + 2);
            if (len < 2) return 1;
            int start = p + 4, end = Math.min(b.length, p + 2 + len);
            if (marker == 0xE1 && end - start >= 6 && b[start] == 'E' && b[start + 1] == 'x' && b[start + 2] == 'i'
                    && b[start + 3] == 'f' && b[start + 4] == 0 && b[start + 5] == 0) {
                return tiffOrientation(b, start + 6, end);
            }
            p += 2 + len;
        }
        return 1;
    }

    /** Orientation from a PNG {@code eXIf} chunk. */
    static int pngOrientation(byte[] b) {
        int p = 8;
        while (p + 8 <= b.length) {
            long len = u32be(b, p);
            String type = new String(b, p + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            int start = p + 8;
            if (len < 0 || start + len > b.length) return 1;
            if (type.equals("eXIf")) {
                int s = start, e = (int) (start + len);
                if (e - s >= 6 && b[s] == 'E' && b[s + 1] == 'x' && b[s + 2] == 'i' && b[s + 3] == 'f') s += 6;
                return tiffOrientation(b, s, e);
            }
            if (type.equals("IEND")) return 1;
            p = (int) (start + len + 4);
        }
        return 1;
    }

    /** Tag 0x0112 of IFD0 of the TIFF structure in {@code b[start, end)}; 1 when absent. */
    static int tiffOrientation(byte[] b, int start, int end) {
        if (end - start < 8) return 1;
        boolean le;
        if (b[start] == 'I' && b[start + 1] == 'I') le = true;
        else if (b[start] == 'M' && b[start + 1] == 'M') le = false;
        else return 1;
        if (u16(b, start + 2, le) != 42) return 1;
        long ifd = u32(b, start + 4, le);
        if (ifd < 8 || start + ifd + 2 > end) return 1;
        int p = (int) (start + ifd);
        int count = u16(b, p, le);
        p += 2;
        for (int i = 0; i < count && p + 12 <= end; i++, p += 12) {
            if (u16(b, p, le) == 0x0112) {
                int type = u16(b, p + 2, le);
                int v = type == 3 ? u16(b, p + 8, le) : type == 4 ? (int) u32(b, p + 8, le) : 1;
                return v >= 1 && v <= 8 ? v : 1;
            }
        }
        return 1;
    }

    /** Number of components in the first SOFn frame header, or -1. */
    static int jpegComponents(byte[] b) {
        int p = 2;
        while (p + 4 <= b.length) {
            if ((b[p] & 0xff) != 0xFF) return -1;
            int marker = b[p + 1] & 0xff;
            if (marker == 0xFF) { p++; continue; }
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { p += 2; continue; }
            if (marker == 0xDA || marker == 0xD9) return -1;
            int len = u16be(b, p + 2);
            if (len < 2) return -1;
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) return p + 9 < b.length ? b[p + 9] & 0xff : -1;
            p += 2 + len;
        }
        return -1;
    }

    // ------------------------------------------------------------------ helpers

    enum Format {
        PNG, JPEG, GIF, BMP, TIFF, OTHER;

        static Format sniff(byte[] h) {
            if (h.length >= 8 && (h[0] & 0xff) == 0x89 && h[1] == 'P' && h[2] == 'N' && h[3] == 'G') return PNG;
            if (h.length >= 3 && (h[0] & 0xff) == 0xFF && (h[1] & 0xff) == 0xD8 && (h[2] & 0xff) == 0xFF) return JPEG;
            if (h.length >= 4 && h[0] == 'G' && h[1] == 'I' && h[2] == 'F' && h[3] == '8') return GIF;
            if (h.length >= 2 && h[0] == 'B' && h[1] == 'M') return BMP;
            if (h.length >= 4 && ((h[0] == 'I' && h[1] == 'I' && h[2] == 42 && h[3] == 0)
                    || (h[0] == 'M' && h[1] == 'M' && h[2] == 0 && h[3] == 42))) return TIFF;
            return OTHER;
        }
    }

    /** The first bytes in hex and printable ASCII, for error messages. */
    static String describe(byte[] head) {
        int n = Math.min(16, head.length);
        StringBuilder hex = new StringBuilder(), txt = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int v = head[i] & 0xff;
            if (i > 0) hex.append(' ');
            hex.append(String.format(Locale.ROOT, "%02x", v));
            txt.append(v >= 0x20 && v < 0x7f ? (char) v : '.');
        }
        return hex + " (\"" + txt + "\")";
    }

    private static IOException fail(String file, String why) {
        return new IOException("cannot read image " + file + ": " + oneLine(why));
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").trim();
    }

    private static int u16be(byte[] b, int p) {
        return p + 1 < b.length ? ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff) : 0;
    }

    private static long u32be(byte[] b, int p) {
        return p + 3 < b.length ? ((long) (b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8)
                | (b[p + 3] & 0xff) : -1;
    }

    private static int u16(byte[] b, int p, boolean le) {
        if (p + 1 >= b.length) return 0;
        return le ? (b[p] & 0xff) | ((b[p + 1] & 0xff) << 8) : ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
    }

    private static long u32(byte[] b, int p, boolean le) {
        if (p + 3 >= b.length) return 0;
        long v = 0;
        for (int i = 0; i < 4; i++) v |= (long) (b[p + (le ? i : 3 - i)] & 0xff) << (8 * i);
        return v;
    }
}
