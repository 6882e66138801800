package dev.clipengine.segmentation;

import java.util.ArrayList;
import java.util.List;

/** The image geometry of the slide protocol (docs/training-free-methods.md §3.1, §3.6). */
public final class SlideGeometry {

    private SlideGeometry() {
    }

    /** One window {@code [y1, y2) × [x1, x2)} of the resized image. */
    public record Window(int y1, int x1, int y2, int x2) {
        public int height() {
            return y2 - y1;
        }

        public int width() {
            return x2 - x1;
        }
    }

    /**
     * mmcv's {@code rescale_size((w, h), (maxLong, maxShort))} as used by {@code Resize(keep_ratio=True)}:
     * {@code sf = min(maxLong / max(h, w), maxShort / min(h, w))} in double, each side {@code int(side·sf + 0.5)}.
     *
     * @return {@code {newWidth, newHeight}}
     */
    public static int[] rescaleSize(int width, int height, int maxLong, int maxShort) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        int lo = Math.min(maxLong, maxShort), hi = Math.max(maxLong, maxShort);
        if (lo <= 0) throw new IllegalArgumentException("rescale sizes must be positive, got " + maxLong + ", " + maxShort);
        double sf = Math.min((double) hi / Math.max(height, width), (double) lo / Math.min(height, width));
        return new int[] {(int) (width * sf + 0.5), (int) (height * sf + 0.5)};
    }

    /**
     * mmseg's slide windows over an {@code height × width} image: a grid with stride {@code stride}, each window
     * {@code crop} wide (less only where the image is smaller), the last of each row and column shifted back to end
     * at the border. Row-major order, as the reference loops.
     */
    public static List<Window> windows(int height, int width, int crop, int stride) {
        if (crop <= 0 || stride <= 0) throw new IllegalArgumentException("crop and stride must be positive, got " + crop + ", " + stride);
        int hGrids = Math.max(height - crop + stride - 1, 0) / stride + 1;
        int wGrids = Math.max(width - crop + stride - 1, 0) / stride + 1;
        List<Window> out = new ArrayList<>(hGrids * wGrids);
        for (int i = 0; i < hGrids; i++) {
            for (int j = 0; j < wGrids; j++) {
                int y2 = Math.min(i * stride + crop, height), x2 = Math.min(j * stride + crop, width);
                out.add(new Window(Math.max(y2 - crop, 0), Math.max(x2 - crop, 0), y2, x2));
            }
        }
        return out;
    }
}
