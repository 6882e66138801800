package dev.clipengine.bench;

import dev.clipengine.model.ClipModel;
import dev.clipengine.model.RandomWeights;
import dev.clipengine.weights.DType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.Map;

/** Random-weight ViT-B/16 models, one per dtype and fork (generating one takes a few seconds). */
public final class Models {

    private static final Map<DType, ClipModel> CACHE = new EnumMap<>(DType.class);

    private Models() {
    }

    public static synchronized ClipModel vitB16(DType dtype) {
        return CACHE.computeIfAbsent(dtype, d -> {
            try {
                return RandomWeights.load(RandomWeights.VIT_B_16, d, 1);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** A deterministic CLIP-normalized-looking image, {@code [3, s, s]}. */
    public static float[] pixels(int s) {
        float[] p = new float[3 * s * s];
        for (int i = 0; i < p.length; i++) p[i] = (float) Math.sin(i * 0.001) * 1.5f;
        return p;
    }
}
