package dev.clipengine.image;

import java.util.Locale;

/**
 * Checks an encoded image's declared structure against its own bytes before a decoder allocates
 * anything for it. The JDK's readers trust their headers: a 50-byte GIF declaring a 13000x13000 frame
 * makes them allocate 1.7 GB and return a mostly empty picture; a BMP palette count of 2^31-1 or a
 * JPEG segment length of 1 is read past without complaint. Refused here instead, in one line:
 * <ul>
 * <li>more pixels than the format can code in the file's bytes: {@link #maxPixelsPerByte} is each
 *     format's best case with room to spare (deflate expands at most 1032:1, so a PNG codes at most
 *     8 · 1032 one-bit pixels per byte; GIF's LZW under 1,400 pixels per byte; a baseline or
 *     progressive JPEG needs at least one bit per 8x8 block), so only a truncated or forged file
 *     is refused, never a real one;</li>
 * <li>a JPEG marker segment before the scan whose length is under 2 or runs past the file;</li>
 * <li>a BMP palette with more colours than its bit depth allows, or than fit before the pixels.</li>
 * </ul>
 */
final class EncodedImageCheck {

    private EncodedImageCheck() {
    }

    /** The most pixels one byte of a file in this format can code (see the class comment). */
    static long maxPixelsPerByte(ImageDecoder.Format format) {
        return switch (format) {
            case PNG, TIFF, OTHER -> 8 * 1032 + 1024;
            case GIF -> 2048;
            case JPEG -> 1024;
            case BMP -> 1024; // RLE8 codes 255 pixels in 2 bytes; uncompressed is checked exactly by the reader
        };
    }

    /** Null when {@code w x h} can be coded in {@code fileBytes} bytes of {@code format}, else why not. */
    static String pixelsVersusData(ImageDecoder.Format format, int w, int h, long fileBytes) {
        long pixels = (long) w * h;
        long most = maxPixelsPerByte(format) * fileBytes;
        if (pixels <= most) return null;
        return "declares " + w + "x" + h + " (" + pixels + " pixels) but holds only " + fileBytes + " bytes, which a "
                + format.name() + " can code at most " + most + " pixels in (truncated, or a decompression bomb)";
    }

    /** Null when the header structure is sound as far as it is checked here, else why not. */
    static String structure(ImageDecoder.Format format, byte[] b) {
        return switch (format) {
            case JPEG -> jpegSegments(b);
            case BMP -> bmpPalette(b);
            default -> null;
        };
    }

    /** Every marker segment before the first scan has a length of at least 2 that stays inside the file. */
    static String jpegSegments(byte[] b) {
        int p = 2;
        while (p + 4 <= b.length) {
            if ((b[p] & 0xff) != 0xFF) return "corrupt JPEG: no marker at byte " + p;
            int marker = b[p + 1] & 0xff;
            if (marker == 0xFF) { p++; continue; }
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { p += 2; continue; }
            if (marker == 0xDA || marker == 0xD9) return null;
            int len = ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
            if (len < 2) return String.format(Locale.ROOT, "corrupt JPEG: segment 0xFF%02X at byte %d declares length %d", marker, p, len);
            if (p + 2L + len > b.length) {
                return String.format(Locale.ROOT, "truncated JPEG: segment 0xFF%02X at byte %d runs past the end of the file", marker, p);
            }
            p += 2 + len;
        }
        return p >= b.length ? null : "truncated JPEG: the file ends inside its headers";
    }

    /** BITMAPINFOHEADER and later: colours used at most 2^bits (bits ≤ 8) or 256, and within the header area. */
    static String bmpPalette(byte[] b) {
        if (b.length < 54) return null; // the reader reports a short header itself
        long dataOffset = u32le(b, 10), headerSize = u32le(b, 14);
        if (headerSize < 40) return null; // OS/2 core headers have no colour count
        int bits = u16le(b, 28);
        long used = u32le(b, 46);
        long limit = bits >= 1 && bits <= 8 ? 1L << bits : 256;
        if (used > limit) return "corrupt BMP: a palette of " + used + " colours for " + bits + "-bit pixels (at most " + limit + ")";
        long paletteEnd = 14 + headerSize + 4 * used;
        if (used > 0 && paletteEnd > dataOffset) {
            return "corrupt BMP: its palette of " + used + " colours runs past the pixel data at byte " + dataOffset;
        }
        return null;
    }

    private static long u32le(byte[] b, int p) {
        return (b[p] & 0xffL) | (b[p + 1] & 0xffL) << 8 | (b[p + 2] & 0xffL) << 16 | (b[p + 3] & 0xffL) << 24;
    }

    private static int u16le(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
    }
}
