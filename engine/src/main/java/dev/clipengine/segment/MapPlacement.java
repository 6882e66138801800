package dev.clipengine.segment;

import dev.clipengine.image.ClipPreprocess;
import dev.clipengine.segmentation.WholeImageGeometry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a label map lies on the original image (docs/protocols.md): map pixel {@code (u, v)} covers the original
 * image around {@code (x + (u + ½) / scaleX − ½, y + (v + ½) / scaleY − ½)}. The {@code full} protocol's map is the
 * image itself (offset 0, scale 1) and lists the windows it was computed in; the {@code cliptrase} protocol's map is
 * the reference's S×S centre crop of the image resized to short side S.
 *
 * @param imageWidth  the original image's width
 * @param imageHeight the original image's height
 * @param width       the map's width
 * @param height      the map's height
 * @param x           the map's left edge on the original image, in original pixels (negative where padded)
 * @param y           the map's top edge
 * @param scaleX      map pixels per original pixel, horizontally
 * @param scaleY      map pixels per original pixel, vertically
 * @param windows     the {@code full} protocol's windows (one for an image that fits one pass); empty for a crop
 */
public record MapPlacement(int imageWidth, int imageHeight, int width, int height, double x, double y, double scaleX,
                           double scaleY, List<WholeImageGeometry.Window> windows) {

    public MapPlacement {
        windows = List.copyOf(windows);
    }

    /** The whole image at its own resolution, computed in {@code g}'s windows. */
    public static MapPlacement whole(WholeImageGeometry g) {
        return new MapPlacement(g.width(), g.height(), g.width(), g.height(), 0, 0, 1, 1, g.windows());
    }

    /**
     * The {@code size × size} centre crop of torchvision's {@code Resize(size)} + {@code CenterCrop(size)}, with
     * the arithmetic of {@link ClipPreprocess#resizeShortSideCenterCrop} ({@link ClipPreprocess#shortSideResized}, half-even rounding of
     * the crop offset, zero padding where the resized image is smaller than the crop).
     */
    public static MapPlacement centreCrop(int w, int h, int size) {
        long[] resized = ClipPreprocess.shortSideResized(w, h, size);
        long newW = resized[0], newH = resized[1];
        double sx = (double) newW / w, sy = (double) newH / h;
        return new MapPlacement(w, h, size, size, offset(newW, size) / sx, offset(newH, size) / sy, sx, sy, List.of());
    }

    /**
     * The JSON form the command line and the HTTP service write: {@code map} (size, offset, scale) and, for the
     * {@code full} protocol, {@code windows}: each window's network input size, the part of the image its map
     * covers and the part it owns ({@code [x, y, width, height]} in image pixels).
     */
    public Map<String, Object> json() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("width", width);
        map.put("height", height);
        map.put("x", round(x));
        map.put("y", round(y));
        map.put("scale_x", round(scaleX));
        map.put("scale_y", round(scaleY));
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("map", map);
        if (!windows.isEmpty()) {
            List<Map<String, Object>> ws = new ArrayList<>();
            for (WholeImageGeometry.Window w : windows) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("input", new int[] {w.width(), w.height()});
                e.put("covers", new int[] {w.mapX(), w.mapY(), w.mapWidth(), w.mapHeight()});
                e.put("owns", new int[] {w.mapX() + w.keepX0(), w.mapY() + w.keepY0(), w.keepX1() - w.keepX0(), w.keepY1() - w.keepY0()});
                ws.add(e);
            }
            j.put("windows", ws);
        }
        return j;
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    /** The crop's first resized pixel: {@code round((n − size) / 2)} half-even, or minus the padding before it. */
    private static double offset(long resized, int size) {
        return resized >= size ? Math.rint((resized - size) / 2.0) : -((size - resized) / 2);
    }
}
