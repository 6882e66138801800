package dev.clipengine.segmentation;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the windows of CLIPtrase's {@code full} protocol lie (docs/protocols.md, "full"): the image is resized so
 * its short side is S and its long side the nearest multiple of the patch (the grid follows the aspect ratio); when
 * that long side fits one network pass ({@code maxWindow}) there is one window, the whole image, else windows of
 * {@code maxWindow} along the long axis, patch-aligned, evenly spread, overlapping by a quarter of a window or more
 * (less at most one patch, from the alignment).
 * Each window is segmented on its own and owns the pixels nearer its centre than its neighbour's: the overlap is
 * split at its middle.
 *
 * @param width         original image width
 * @param height        original image height
 * @param resizedWidth  network-side width of the whole image (a multiple of the patch, or S)
 * @param resizedHeight network-side height
 * @param windows       left to right or top to bottom; one for an image that fits one pass
 */
public record WholeImageGeometry(int width, int height, int resizedWidth, int resizedHeight, List<Window> windows) {

    /** Overlap between neighbouring windows, at least this fraction of a window. */
    public static final double MIN_OVERLAP = 0.25;
    /**
     * At most this many windows (a 37:1 panorama at S = 336): a longer strip is squeezed along its length to fit, so
     * a 1×100000 image costs sixteen passes, not thousands (docs/hostile-inputs.md).
     */
    public static final int MAX_WINDOWS = 16;

    /**
     * One window: the part {@code [x, x + width) × [y, y + height)} of the resized image it runs on; the part of the
     * original image its map covers ({@code mapX, mapY, mapWidth, mapHeight}); the part of that map it owns and
     * writes ({@code keep*}, map coordinates).
     */
    public record Window(int x, int y, int width, int height, int mapX, int mapY, int mapWidth, int mapHeight,
                         int keepX0, int keepY0, int keepX1, int keepY1) {
    }

    public WholeImageGeometry {
        windows = List.copyOf(windows);
    }

    /** The plan for a {@code width × height} image at short side {@code size}, patch {@code patch}. */
    public static WholeImageGeometry of(int width, int height, int size, int patch, int maxWindow) {
        if (width < 1 || height < 1) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        if (size < patch || patch < 1) throw new IllegalArgumentException("size " + size + " is smaller than the patch " + patch);
        int window = maxWindow / patch * patch;
        if (window < size) throw new IllegalArgumentException("a window of " + maxWindow + " cannot hold the short side " + size);
        long[] resized = resized(width, height, size, patch);
        boolean wide = width > height;
        long longSide = wide ? resized[0] : resized[1];
        int origLong = wide ? width : height, origShort = wide ? height : width;
        long stride = window - (long) Math.ceil(MIN_OVERLAP * window / patch) * patch;
        long count = longSide <= window ? 1 : ceilDiv(longSide - window, stride) + 1;
        if (count > MAX_WINDOWS) {
            // a strip, not a photo: squeezed along its length to the most windows allowed, so time stays bounded
            count = MAX_WINDOWS;
            longSide = window + (MAX_WINDOWS - 1) * stride;
            if (wide) resized[0] = longSide;
            else resized[1] = longSide;
        }
        int span = (int) longSide, win = count == 1 ? span : window, n = (int) count;
        int[] start = new int[n], mapStart = new int[n], mapEnd = new int[n];
        for (int i = 0; i < n; i++) {
            // evenly spread, on the patch grid: the last window ends at the image's end
            start[i] = n == 1 ? 0 : (int) Math.round((double) (span - win) * i / (n - 1) / patch) * patch;
            mapStart[i] = toOriginal(start[i], span, origLong);
            mapEnd[i] = toOriginal(start[i] + win, span, origLong);
        }
        List<Window> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            // the overlap with each neighbour is split at its middle
            int own0 = i == 0 ? 0 : toOriginal((start[i] + start[i - 1] + win) / 2.0, span, origLong);
            int own1 = i == n - 1 ? origLong : toOriginal((start[i + 1] + start[i] + win) / 2.0, span, origLong);
            int k0 = own0 - mapStart[i], k1 = own1 - mapStart[i], extent = mapEnd[i] - mapStart[i];
            if (k0 >= k1) continue;   // a tiny original: the window's share rounds to no pixel, its neighbours cover it
            out.add(wide
                    ? new Window(start[i], 0, win, (int) resized[1], mapStart[i], 0, extent, origShort, k0, 0, k1, origShort)
                    : new Window(0, start[i], (int) resized[0], win, 0, mapStart[i], origShort, extent, 0, k0, origShort, k1));
        }
        return new WholeImageGeometry(width, height, (int) resized[0], (int) resized[1], out);
    }

    /**
     * The resized size: the short side to {@code size}, the long side to the nearest multiple of the patch (at most
     * half a patch of aspect change), a square to {@code size × size}.
     *
     * @return {@code {width, height}}
     */
    public static long[] resized(int w, int h, int size, int patch) {
        double scale = (double) size / Math.min(w, h);
        long outW = w <= h ? size : Math.max(patch, Math.round(w * scale / patch) * patch);
        long outH = h < w ? size : Math.max(patch, Math.round(h * scale / patch) * patch);
        if (w == h) outW = outH = size;
        return new long[] {outW, outH};
    }

    private static int toOriginal(double resizedPos, int resizedSpan, int originalSpan) {
        return (int) Math.round(resizedPos * originalSpan / resizedSpan);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
