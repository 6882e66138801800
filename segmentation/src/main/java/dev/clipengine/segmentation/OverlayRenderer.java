package dev.clipengine.segmentation;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders a segmentation over its image with Java2D (headless): class colours blended at {@link #ALPHA}, one-pixel
 * white class boundaries, and a legend panel on the right listing the classes present (colour swatch, name, share of
 * pixels), largest first.
 *
 * <p>Images whose longer side is under {@link #MIN_DISPLAY} pixels (e.g. 224 crops) are enlarged by an integer factor
 * with nearest-neighbour sampling so boundaries and legend stay legible. Labels outside {@code [0, classNames.length)}
 * (ignore / void) are left untinted and not listed.
 */
public final class OverlayRenderer {

    /** Opacity of the class colour over the image. */
    public static final float ALPHA = 0.5f;
    /** Images smaller than this (longer side) are enlarged by an integer factor. */
    public static final int MIN_DISPLAY = 384;
    /**
     * Images larger than this (longer side) are shown reduced by an integer factor, nearest pixel: the overlay is
     * for looking at, and a 48-megapixel one would cost 192 MB of heap (issue 18: 8000×6000 under -Xmx512m).
     * The label map is always written at full size.
     */
    public static final int MAX_DISPLAY = 4096;

    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private OverlayRenderer() {
    }

    /**
     * Overlay with the default palette ({@link Palette#forNames}, also the label map's); a class literally named
     * {@code "background"} (case-insensitive), if any, is drawn grey.
     *
     * @param rgb        interleaved 8-bit RGB, {@code h × w × 3}
     * @param labels     {@code h × w} class ids
     * @param classNames one name per class id
     */
    public static BufferedImage render(byte[] rgb, int w, int h, int[] labels, String[] classNames) {
        return render(rgb, w, h, labels, classNames, Palette.forNames(classNames));
    }

    /** Overlay with explicit colours ({@code 0xRRGGBB}, one per class). */
    public static BufferedImage render(byte[] rgb, int w, int h, int[] labels, String[] classNames, int[] colors) {
        if (w < 1 || h < 1) throw new IllegalArgumentException("empty image");
        if (rgb.length != 3L * w * h) throw new IllegalArgumentException("rgb must hold h*w*3 bytes");
        if (labels.length != (long) w * h) throw new IllegalArgumentException("labels must hold h*w values");
        int n = classNames.length;
        if (colors.length < n) throw new IllegalArgumentException("need one colour per class");

        long[] area = new long[n];
        for (int l : labels) if (l >= 0 && l < n) area[l]++;

        int s = Math.max(1, Math.min(8, (MIN_DISPLAY + Math.max(w, h) - 1) / Math.max(w, h)));
        int shrink = Math.max(1, (Math.max(w, h) + MAX_DISPLAY - 1) / MAX_DISPLAY);
        int iw = shrink > 1 ? (w + shrink - 1) / shrink : w * s, ih = shrink > 1 ? (h + shrink - 1) / shrink : h * s;

        // legend entries: present classes by decreasing area, then by id
        List<Integer> present = new ArrayList<>();
        for (int c = 0; c < n; c++) if (area[c] > 0) present.add(c);
        present.sort((a, b) -> area[a] != area[b] ? Long.compare(area[b], area[a]) : Integer.compare(a, b));

        int fontSize = Math.max(12, Math.min(18, ih / 24));
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, fontSize);
        int rowH = fontSize + fontSize / 2 + 4;
        int pad = fontSize;
        int swatch = fontSize + 2;
        int nameMax = fontSize * 14;

        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        pg.setFont(font);
        FontMetrics fm = pg.getFontMetrics();
        int pctW = fm.stringWidth("100.0%");
        int nameW = 0;
        List<String> names = new ArrayList<>();
        for (int c : present) {
            String name = ellipsize(classNames[c] == null ? "class " + c : classNames[c].strip(), fm, nameMax);
            names.add(name);
            nameW = Math.max(nameW, fm.stringWidth(name));
        }
        pg.dispose();
        int legendW = present.isEmpty() ? 0 : pad + swatch + pad / 2 + nameW + pad + pctW + pad;
        int legendH = present.isEmpty() ? 0 : pad + rowH * present.size() + pad / 2;

        BufferedImage out = new BufferedImage(iw + legendW, Math.max(ih, legendH), BufferedImage.TYPE_INT_RGB);
        // written straight into the image's own pixels: a second full-size int array would double the overlay's heap
        int[] px = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        int stride = out.getWidth();
        for (int y = 0; y < ih; y++) {
            int sy = shrink > 1 ? y * shrink : y / s;
            for (int x = 0; x < iw; x++) {
                int sx = shrink > 1 ? x * shrink : x / s;
                int i = sy * w + sx;
                int r = rgb[3 * i] & 0xff, g = rgb[3 * i + 1] & 0xff, b = rgb[3 * i + 2] & 0xff;
                int l = labels[i];
                if (l >= 0 && l < n) {
                    int col = colors[l];
                    r = blend(r, (col >> 16) & 0xff, ALPHA);
                    g = blend(g, (col >> 8) & 0xff, ALPHA);
                    b = blend(b, col & 0xff, ALPHA);
                }
                if (shrink > 1 ? isBoundaryShrunk(labels, w, h, shrink, sx, sy) : isBoundary(labels, w, h, s, x, y)) {
                    r = blend(r, 255, 0.8f);
                    g = blend(g, 255, 0.8f);
                    b = blend(b, 255, 0.8f);
                }
                px[y * stride + x] = (r << 16) | (g << 8) | b;
            }
        }

        Graphics2D g2 = out.createGraphics();
        try {
            g2.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g2.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g2.setColor(new Color(0xF7F7F7));
            g2.fillRect(iw, 0, legendW, out.getHeight());
            if (ih < out.getHeight()) {
                g2.fillRect(0, ih, iw, out.getHeight() - ih);
            }
            g2.setFont(font);
            FontMetrics m = g2.getFontMetrics();
            long total = (long) w * h;
            for (int e = 0; e < present.size(); e++) {
                int c = present.get(e);
                int top = pad + e * rowH;
                int sx = iw + pad;
                int sy = top + (rowH - swatch) / 2;
                g2.setColor(new Color(colors[c]));
                g2.fillRect(sx, sy, swatch, swatch);
                g2.setColor(new Color(0x555555));
                g2.setStroke(new BasicStroke(1f));
                g2.drawRect(sx, sy, swatch, swatch);
                int baseline = top + (rowH + m.getAscent() - m.getDescent()) / 2;
                g2.setColor(new Color(0x202020));
                g2.drawString(names.get(e), sx + swatch + pad / 2, baseline);
                String pct = String.format(Locale.ROOT, "%.1f%%", 100.0 * area[c] / total);
                g2.setColor(new Color(0x606060));
                g2.drawString(pct, iw + legendW - pad - m.stringWidth(pct), baseline);
            }
        } finally {
            g2.dispose();
        }
        return out;
    }

    /** {@link #render} then an atomic PNG write. */
    public static void writePng(Path path, byte[] rgb, int w, int h, int[] labels, String[] classNames)
            throws IOException {
        LabelMapWriter.writeImage(path, render(rgb, w, h, labels, classNames));
    }

    /** Writes an image (e.g. from {@link #render}) as PNG, atomically. */
    public static void writePng(Path path, BufferedImage image) throws IOException {
        LabelMapWriter.writeImage(path, image);
    }

    private static boolean isBoundary(int[] labels, int w, int h, int s, int x, int y) {
        int sx = x / s, sy = y / s;
        int l = labels[sy * w + sx];
        int sx1 = (x + 1) / s, sy1 = (y + 1) / s;
        if (sx1 < w && sx1 != sx && labels[sy * w + sx1] != l) return true;
        return sy1 < h && sy1 != sy && labels[sy1 * w + sx] != l;
    }

    /** On a reduced overlay: whether the next shown pixel to the right or below has another label. */
    private static boolean isBoundaryShrunk(int[] labels, int w, int h, int shrink, int sx, int sy) {
        int l = labels[sy * w + sx];
        if (sx + shrink < w && labels[sy * w + sx + shrink] != l) return true;
        return sy + shrink < h && labels[(sy + shrink) * w + sx] != l;
    }

    private static int blend(int base, int over, float a) {
        return Math.round(base * (1 - a) + over * a);
    }

    private static String ellipsize(String s, FontMetrics fm, int max) {
        if (fm.stringWidth(s) <= max) return s;
        String e = "\u2026";
        int end = s.length();
        while (end > 0 && fm.stringWidth(s.substring(0, end) + e) > max) end--;
        return s.substring(0, end) + e;
    }
}
