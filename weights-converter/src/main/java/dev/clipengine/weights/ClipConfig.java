package dev.clipengine.weights;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The architecture of an OpenAI-style CLIP (ViT image tower, causal text transformer). Everything
 * the engine needs to build the model; stored as JSON in the canonical file's {@code __metadata__}
 * under {@code config}, with snake_case keys.
 *
 * <p>Construction validates: every field positive, each width divisible by its head count, the
 * image size divisible by the patch size. A violation is an {@link IllegalArgumentException} with a
 * one-line message.
 */
public record ClipConfig(int embedDim, int imageSize, int patchSize, int visionWidth, int visionLayers,
                         int visionHeads, int visionMlpWidth, int contextLength, int vocabSize, int textWidth,
                         int textLayers, int textHeads, int textMlpWidth) {

    /** JSON keys, in the order of the record components. */
    public static final String[] KEYS = {"embed_dim", "image_size", "patch_size", "vision_width", "vision_layers",
            "vision_heads", "vision_mlp_width", "context_length", "vocab_size", "text_width", "text_layers",
            "text_heads", "text_mlp_width"};

    public ClipConfig {
        int[] v = values(embedDim, imageSize, patchSize, visionWidth, visionLayers, visionHeads, visionMlpWidth,
                contextLength, vocabSize, textWidth, textLayers, textHeads, textMlpWidth);
        for (int i = 0; i < v.length; i++) {
            if (v[i] <= 0) throw new IllegalArgumentException("invalid CLIP config: " + KEYS[i] + " = " + v[i] + " (must be positive)");
        }
        if (visionWidth % visionHeads != 0) {
            throw new IllegalArgumentException("invalid CLIP config: vision_width " + visionWidth
                    + " is not divisible by vision_heads " + visionHeads);
        }
        if (textWidth % textHeads != 0) {
            throw new IllegalArgumentException("invalid CLIP config: text_width " + textWidth
                    + " is not divisible by text_heads " + textHeads);
        }
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("invalid CLIP config: image_size " + imageSize
                    + " is not divisible by patch_size " + patchSize);
        }
    }

    private static int[] values(int... v) {
        return v;
    }

    private int[] values() {
        return values(embedDim, imageSize, patchSize, visionWidth, visionLayers, visionHeads, visionMlpWidth,
                contextLength, vocabSize, textWidth, textLayers, textHeads, textMlpWidth);
    }

    /** Patches per side at the native image size. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** Vision tokens at the native image size (class token plus patches). */
    public int visionTokens() {
        return gridSize() * gridSize() + 1;
    }

    /** The config as a map with snake_case keys (insertion order = {@link #KEYS}). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        int[] v = values();
        for (int i = 0; i < KEYS.length; i++) m.put(KEYS[i], (long) v[i]);
        return m;
    }

    /** Compact JSON with snake_case keys, e.g. {@code {"embed_dim":512,"image_size":224,...}}. */
    public String toJson() {
        return Json.write(toMap());
    }

    /**
     * Parses {@link #toJson()}'s output. All thirteen keys are required and must be integers; unknown
     * keys are ignored. Errors are {@link IllegalArgumentException}s with a one-line message.
     */
    public static ClipConfig fromJson(String json) {
        Object parsed;
        try {
            parsed = Json.parse(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("CLIP config is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> m)) throw new IllegalArgumentException("CLIP config is not a JSON object");
        int[] v = new int[KEYS.length];
        for (int i = 0; i < KEYS.length; i++) {
            Object o = m.get(KEYS[i]);
            if (o == null) throw new IllegalArgumentException("CLIP config: missing '" + KEYS[i] + "'");
            if (!(o instanceof Long l) || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("CLIP config: '" + KEYS[i] + "' is not an integer: " + Json.write(o));
            }
            v[i] = (int) (long) l;
        }
        return new ClipConfig(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]);
    }

    /** This config with other head counts (validated again). */
    public ClipConfig withHeads(int vision, int text) {
        return new ClipConfig(embedDim, imageSize, patchSize, visionWidth, visionLayers, vision, visionMlpWidth,
                contextLength, vocabSize, textWidth, textLayers, text, textMlpWidth);
    }

    /**
     * Every tensor of the model under its OpenAI name with the shape this config implies, in the
     * canonical order (vision tower, then text tower, then {@code logit_scale}).
     */
    public Map<String, long[]> tensorShapes() {
        Map<String, long[]> m = new LinkedHashMap<>();
        long dv = visionWidth, dt = textWidth, e = embedDim;
        m.put("visual.conv1.weight", new long[] {dv, 3, patchSize, patchSize});
        m.put("visual.class_embedding", new long[] {dv});
        m.put("visual.positional_embedding", new long[] {visionTokens(), dv});
        m.put("visual.ln_pre.weight", new long[] {dv});
        m.put("visual.ln_pre.bias", new long[] {dv});
        for (int i = 0; i < visionLayers; i++) block(m, "visual.transformer.resblocks." + i + ".", dv, visionMlpWidth);
        m.put("visual.ln_post.weight", new long[] {dv});
        m.put("visual.ln_post.bias", new long[] {dv});
        m.put("visual.proj", new long[] {dv, e});
        m.put("token_embedding.weight", new long[] {vocabSize, dt});
        m.put("positional_embedding", new long[] {contextLength, dt});
        for (int i = 0; i < textLayers; i++) block(m, "transformer.resblocks." + i + ".", dt, textMlpWidth);
        m.put("ln_final.weight", new long[] {dt});
        m.put("ln_final.bias", new long[] {dt});
        m.put("text_projection", new long[] {dt, e});
        m.put("logit_scale", new long[] {});
        return m;
    }

    private static void block(Map<String, long[]> m, String p, long d, long mlp) {
        m.put(p + "ln_1.weight", new long[] {d});
        m.put(p + "ln_1.bias", new long[] {d});
        m.put(p + "attn.in_proj_weight", new long[] {3 * d, d});
        m.put(p + "attn.in_proj_bias", new long[] {3 * d});
        m.put(p + "attn.out_proj.weight", new long[] {d, d});
        m.put(p + "attn.out_proj.bias", new long[] {d});
        m.put(p + "ln_2.weight", new long[] {d});
        m.put(p + "ln_2.bias", new long[] {d});
        m.put(p + "mlp.c_fc.weight", new long[] {mlp, d});
        m.put(p + "mlp.c_fc.bias", new long[] {mlp});
        m.put(p + "mlp.c_proj.weight", new long[] {d, mlp});
        m.put(p + "mlp.c_proj.bias", new long[] {d});
    }

    /** Total number of parameters. */
    public long parameterCount() {
        long n = 0;
        for (long[] s : tensorShapes().values()) {
            long c = 1;
            for (long d : s) c *= d;
            n += c;
        }
        return n;
    }

    /** One line for humans, e.g. {@code ViT-B/16 224: vision 768x12 (12 heads, mlp 3072), text 512x12 ...}. */
    public String summary() {
        return "ViT patch " + patchSize + " image " + imageSize + ", vision width " + visionWidth + " x " + visionLayers
                + " layers (" + visionHeads + " heads, mlp " + visionMlpWidth + "), text width " + textWidth + " x "
                + textLayers + " layers (" + textHeads + " heads, mlp " + textMlpWidth + ", context " + contextLength
                + ", vocab " + vocabSize + "), embed " + embedDim;
    }

    /**
     * Floating-point operations (multiply and add counted separately) of one image-tower forward at
     * {@code size}×{@code size}: patch embedding, every block's projections, MLP and attention products, and the
     * class token's projection. 35.1 GFLOP for ViT-B/16 at 224, 82.8 at 336.
     */
    public double imageEncoderFlops(int size) {
        long g = size / patchSize, n = 1 + g * g, d = visionWidth, mlp = visionMlpWidth;
        double patch = 2.0 * g * g * 3 * patchSize * patchSize * d;
        double block = 2.0 * n * (d * 3 * d + d * d + 2 * d * mlp) + 4.0 * n * n * d;
        return patch + visionLayers * block + 2.0 * d * embedDim;
    }
}
