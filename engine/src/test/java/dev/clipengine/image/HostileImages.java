package dev.clipengine.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import javax.imageio.ImageIO;

/** Issue 16's crafted images, built byte by byte (tests in this module use them in and out of process). */
public final class HostileImages {

    private HostileImages() {
    }

    /** A GIF whose only frame declares 13000x13000 pixels and codes one. */
    public static byte[] gifBomb() {
        ByteArrayOutputStream g = new ByteArrayOutputStream();
        g.writeBytes("GIF89a".getBytes());
        le16(g, 13000); le16(g, 13000); g.write(0); g.write(0); g.write(0); // logical screen, no colour table
        g.write(0x2C); le16(g, 0); le16(g, 0); le16(g, 13000); le16(g, 13000);
        g.write(0x80); // local colour table of 2 entries
        g.writeBytes(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
        g.write(2); // LZW minimum code size
        g.write(2); g.write(0x44); g.write(0x01); // clear, pixel 0, end (3-bit codes)
        g.write(0); g.write(0x3B);
        return g.toByteArray();
    }

    /** A 1x1 8-bit BMP whose header declares a palette of 2^31-1 colours. */
    public static byte[] bmpHugePalette() {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 4 * 256 + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(b.capacity()).putInt(0).putInt(14 + 40 + 4 * 256);
        b.putInt(40).putInt(1).putInt(1).putShort((short) 1).putShort((short) 8).putInt(0).putInt(4).putInt(2835).putInt(2835)
                .putInt(Integer.MAX_VALUE).putInt(0);
        return b.array();
    }

    /** A valid 16x16 JPEG. */
    public static byte[] jpeg() {
        try {
            ByteArrayOutputStream jpg = new ByteArrayOutputStream();
            ImageIO.write(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), "jpg", jpg);
            return jpg.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #jpeg()} with an APP1 segment declaring a length of 1 right after its SOI. */
    public static byte[] jpegApp1LengthOne() {
        byte[] good = jpeg();
        byte[] bad = new byte[good.length + 4];
        bad[0] = (byte) 0xFF; bad[1] = (byte) 0xD8;
        bad[2] = (byte) 0xFF; bad[3] = (byte) 0xE1; bad[4] = 0; bad[5] = 1;
        System.arraycopy(good, 2, bad, 6, good.length - 2);
        return bad;
    }

    /** A two-colour PNG of {@code w x h} (a few hundred bytes however thin). */
    public static byte[] thinPng(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, (long) y * w + x < (long) w * h / 2 ? 0x3060a0 : 0xc0a020);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void le16(ByteArrayOutputStream o, int v) {
        o.write(v);
        o.write(v >>> 8);
    }
}
