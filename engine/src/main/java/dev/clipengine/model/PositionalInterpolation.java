package dev.clipengine.model;

import dev.clipengine.kernels.Resample;

/**
 * How the learned positional embedding of a {@code g0×g0} grid is stretched to another grid
 * (docs/cliptrase.md §1.4). Both are PyTorch bicubic (A = -0.75, align_corners=False); they differ
 * in the coordinate scale, which moves every sample slightly.
 */
public enum PositionalInterpolation {
    /** Size-based, as OpenCLIP and Hugging Face do: {@code interpolate(size=(gh, gw))}, scale = g0/g. */
    BICUBIC,
    /**
     * CLIPtrase's: {@code interpolate(scale_factor=((gh+0.1)/g0, (gw+0.1)/g0))}; the output is still
     * {@code gh×gw} but coordinates use {@code (float)(1/sf)}, i.e. {@code g0/(g+0.1)}.
     */
    CLIPTRASE;

    /** Parses the command-line spelling ({@code bicubic} or {@code cliptrase}). */
    public static PositionalInterpolation parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "bicubic" -> BICUBIC;
            case "cliptrase" -> CLIPTRASE;
            default -> throw new IllegalArgumentException("unknown positional interpolation '" + s
                    + "' (expected bicubic or cliptrase)");
        };
    }

    /**
     * Returns the positional embedding for a {@code gh×gw} grid: row 0 (class token) unchanged, then
     * the {@code gh·gw} patch rows in row-major order. {@code table} is {@code [1 + g0², width]}.
     */
    float[] resize(float[] table, int g0, int width, int gh, int gw) {
        if (gh == g0 && gw == g0) return table;
        // rows 1.. are a g0×g0 image of `width` channels; Resample works on planar CHW
        int n0 = g0 * g0;
        float[] planar = new float[width * n0];
        for (int p = 0; p < n0; p++) {
            for (int c = 0; c < width; c++) planar[c * n0 + p] = table[(1 + p) * width + c];
        }
        float scaleH, scaleW;
        if (this == BICUBIC) {
            scaleH = (float) g0 / gh;
            scaleW = (float) g0 / gw;
        } else {
            double sfH = (gh + 0.1) / g0, sfW = (gw + 0.1) / g0;
            scaleH = (float) (1.0 / sfH);
            scaleW = (float) (1.0 / sfW);
        }
        float[] resized = Resample.bicubic(planar, width, g0, g0, gh, gw, scaleH, scaleW);
        int n = gh * gw;
        float[] out = new float[(1 + n) * width];
        System.arraycopy(table, 0, out, 0, width);
        for (int p = 0; p < n; p++) {
            for (int c = 0; c < width; c++) out[(1 + p) * width + c] = resized[c * n + p];
        }
        return out;
    }
}
