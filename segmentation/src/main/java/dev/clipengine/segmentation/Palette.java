package dev.clipengine.segmentation;

/**
 * Deterministic class colours: the PASCAL VOC colour map (bits of the index interleaved into the high bits of R, G
 * and B), shifted by one so that class 0 is not black, and grey for a background class.
 *
 * <p>{@code voc(i)} is injective for {@code i < 2²⁴}, so {@link #color}{@code (c)} = {@code voc(c + 1)} gives distinct
 * colours for any realistic class count; the background grey {@link #BACKGROUND} {@code (170,170,170)} equals
 * {@code voc(i)} only for {@code i ≥ 2²⁰}, so it is distinct from every class colour for fewer than a million classes.
 * The first 20 classes get the familiar VOC colours (aeroplane red, bicycle green, …).
 */
public final class Palette {

    /** Colour used for a background class: RGB (170, 170, 170). */
    public static final int BACKGROUND = 0xAAAAAA;

    private Palette() {
    }

    /** VOC colour map entry {@code i} as {@code 0xRRGGBB}. */
    public static int voc(int i) {
        if (i < 0) throw new IllegalArgumentException("negative index " + i);
        int r = 0, g = 0, b = 0;
        int c = i;
        for (int j = 7; j >= 0 && c != 0; j--) {
            r |= (c & 1) << j;
            g |= ((c >> 1) & 1) << j;
            b |= ((c >> 2) & 1) << j;
            c >>>= 3;
        }
        if (c != 0) throw new IllegalArgumentException("index " + i + " beyond the 24-bit colour map");
        return (r << 16) | (g << 8) | b;
    }

    /** Colour of class {@code c} (0-based): {@code voc(c + 1)} as {@code 0xRRGGBB}. */
    public static int color(int c) {
        return voc(c + 1);
    }

    /**
     * Colours for {@code numClasses} classes as {@code 0xRRGGBB}; the class {@code backgroundIndex} (or none when it is
     * outside {@code [0, numClasses)}, e.g. −1) gets {@link #BACKGROUND}.
     */
    public static int[] forClasses(int numClasses, int backgroundIndex) {
        if (numClasses < 0) throw new IllegalArgumentException("negative class count");
        int[] out = new int[numClasses];
        for (int c = 0; c < numClasses; c++) out[c] = c == backgroundIndex ? BACKGROUND : color(c);
        return out;
    }

    /**
     * The colours the overlay, its legend and the label map's palette give these classes: {@link #forClasses}
     * with the first class literally named {@code "background"} (case-insensitive), if any, as the grey one.
     */
    public static int[] forNames(String[] classNames) {
        int bg = -1;
        for (int c = 0; c < classNames.length; c++) {
            if (classNames[c] != null && classNames[c].trim().equalsIgnoreCase("background")) {
                bg = c;
                break;
            }
        }
        return forClasses(classNames.length, bg);
    }
}
