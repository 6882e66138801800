package dev.clipengine.segmentation;

/**
 * Where the streamed post-processing of one map writes its labels: the map is {@code mapW × mapH} pixels and sits
 * at {@code (x, y)} in a destination label image {@code stride} pixels wide; only the map's pixels inside the kept
 * rectangle {@code [keepX0, keepX1) × [keepY0, keepY1)} (map coordinates) are written. One window of a wide image
 * keeps the columns it owns; a single map keeps everything ({@link #whole}).
 *
 * @param labels destination, row-major, {@code stride} wide
 */
public record LabelTarget(int[] labels, int stride, int x, int y, int keepX0, int keepY0, int keepX1, int keepY1) {

    public LabelTarget {
        if (stride < 1 || x < 0 || y < 0 || keepX0 < 0 || keepY0 < 0 || keepX0 >= keepX1 || keepY0 >= keepY1) {
            throw new IllegalArgumentException("bad label target: stride " + stride + " at (" + x + ", " + y + ") keeping ["
                    + keepX0 + ", " + keepX1 + ") x [" + keepY0 + ", " + keepY1 + ")");
        }
        if (x + keepX1 > stride || (long) (y + keepY1) * stride > labels.length) {
            throw new IllegalArgumentException("the kept rectangle leaves the " + stride + "-wide destination");
        }
    }

    /** A new {@code width × height} label image that one map fills entirely. */
    public static LabelTarget whole(int width, int height) {
        return new LabelTarget(new int[Math.multiplyExact(width, height)], width, 0, 0, 0, 0, width, height);
    }

    /** Index in {@link #labels} of map pixel {@code (mx, my)}. */
    int index(int mx, int my) {
        return (y + my) * stride + x + mx;
    }
}
