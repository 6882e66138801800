package dev.clipengine.weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The attention head counts of a CLIP, which its shapes do not hold: per tower the first of the user's
 * {@link HeadCounts}, the canonical file's metadata, a Hugging Face {@code config.json} or an OpenCLIP
 * {@code open_clip_config.json} beside the weights (whose sizes must agree with the shapes), else OpenAI's
 * width/64 rule announced on {@code warnings}.
 */
final class HeadInference {

    private final Path file, dir;
    private final boolean canonical;
    private final Map<String, String> metadata;
    private final HeadCounts overrides;
    private final Consumer<String> warnings;

    HeadInference(CheckpointSource source, HeadCounts overrides, Consumer<String> warnings) {
        this.file = source.file;
        this.dir = source.dir;
        this.canonical = source.canonical;
        this.metadata = source.metadata;
        this.overrides = overrides;
        this.warnings = warnings;
    }

    /** {@code s} with its heads; {@code src} receives where each tower's count came from. */
    ClipConfig resolveHeads(ClipConfig s, String[] src) throws IOException {
        Integer vh = overrides.vision(), th = overrides.text();
        if (vh != null) src[0] = "override";
        if (th != null) src[1] = "override";

        if (canonical) {
            String json = metadata.get("config");
            if (json == null) throw new WeightsFormatException(file, "canonical file without __metadata__ config");
            ClipConfig c;
            try {
                c = ClipConfig.fromJson(json);
            } catch (IllegalArgumentException e) {
                throw new WeightsFormatException(file, "__metadata__ config: " + e.getMessage());
            }
            Map<String, Object> want = s.toMap(), got = c.toMap();
            for (String k : ClipConfig.KEYS) {
                if (k.endsWith("_heads")) continue;
                if (!want.get(k).equals(got.get(k))) {
                    throw new WeightsFormatException(file, "__metadata__ config says " + k + " = " + got.get(k)
                            + " but the tensor shapes give " + want.get(k));
                }
            }
            if (vh == null) { vh = c.visionHeads(); src[0] = "metadata"; }
            if (th == null) { th = c.textHeads(); src[1] = "metadata"; }
        }

        Path hfConfig = dir.resolve("config.json");
        if (Files.isRegularFile(hfConfig) && CheckpointSource.readJson(hfConfig) instanceof Map<?, ?> root
                && (root.get("vision_config") instanceof Map<?, ?> || root.get("text_config") instanceof Map<?, ?>
                    || "clip".equals(root.get("model_type")))) {
            Map<?, ?> vc = root.get("vision_config") instanceof Map<?, ?> v ? v : Map.of();
            Map<?, ?> tc = root.get("text_config") instanceof Map<?, ?> t ? t : Map.of();
            agree(hfConfig, "projection_dim", root.get("projection_dim"), s.embedDim());
            agree(hfConfig, "vision_config.hidden_size", vc.get("hidden_size"), s.visionWidth());
            agree(hfConfig, "vision_config.intermediate_size", vc.get("intermediate_size"), s.visionMlpWidth());
            agree(hfConfig, "vision_config.num_hidden_layers", vc.get("num_hidden_layers"), s.visionLayers());
            agree(hfConfig, "vision_config.image_size", vc.get("image_size"), s.imageSize());
            agree(hfConfig, "vision_config.patch_size", vc.get("patch_size"), s.patchSize());
            agree(hfConfig, "text_config.hidden_size", tc.get("hidden_size"), s.textWidth());
            agree(hfConfig, "text_config.intermediate_size", tc.get("intermediate_size"), s.textMlpWidth());
            agree(hfConfig, "text_config.num_hidden_layers", tc.get("num_hidden_layers"), s.textLayers());
            agree(hfConfig, "text_config.max_position_embeddings", tc.get("max_position_embeddings"), s.contextLength());
            agree(hfConfig, "text_config.vocab_size", tc.get("vocab_size"), s.vocabSize());
            // absent keys mean transformers' defaults (config.json is saved as a diff against them)
            if (vh == null) {
                Integer h = positiveInt(hfConfig, "vision_config.num_attention_heads", vc.get("num_attention_heads"));
                vh = h == null ? 12 : h; // CLIPVisionConfig default
                src[0] = h == null ? "config.json (transformers default)" : "config.json";
            }
            if (th == null) {
                Integer h = positiveInt(hfConfig, "text_config.num_attention_heads", tc.get("num_attention_heads"));
                th = h == null ? 8 : h; // CLIPTextConfig default
                src[1] = h == null ? "config.json (transformers default)" : "config.json";
            }
        }

        Path ocConfig = dir.resolve("open_clip_config.json");
        if ((vh == null || th == null) && Files.isRegularFile(ocConfig) && CheckpointSource.readJson(ocConfig) instanceof Map<?, ?> root) {
            Map<?, ?> mc = root.get("model_cfg") instanceof Map<?, ?> x ? x : root;
            agree(ocConfig, "embed_dim", mc.get("embed_dim"), s.embedDim());
            if (mc.get("vision_cfg") instanceof Map<?, ?> vc) {
                agree(ocConfig, "vision_cfg.width", vc.get("width"), s.visionWidth());
                agree(ocConfig, "vision_cfg.layers", vc.get("layers"), s.visionLayers());
                agree(ocConfig, "vision_cfg.patch_size", vc.get("patch_size"), s.patchSize());
                agree(ocConfig, "vision_cfg.image_size", vc.get("image_size"), s.imageSize());
                if (vh == null) {
                    Integer hw = positiveInt(ocConfig, "vision_cfg.head_width", vc.get("head_width"));
                    int headWidth = hw == null ? 64 : hw; // open_clip's CLIPVisionCfg default
                    if (s.visionWidth() % headWidth != 0) {
                        throw new WeightsFormatException(ocConfig, "vision_cfg.head_width " + headWidth
                                + " does not divide the vision width " + s.visionWidth());
                    }
                    vh = s.visionWidth() / headWidth;
                    src[0] = "open_clip_config.json";
                }
            }
            if (mc.get("text_cfg") instanceof Map<?, ?> tc) {
                agree(ocConfig, "text_cfg.width", tc.get("width"), s.textWidth());
                agree(ocConfig, "text_cfg.layers", tc.get("layers"), s.textLayers());
                agree(ocConfig, "text_cfg.context_length", tc.get("context_length"), s.contextLength());
                agree(ocConfig, "text_cfg.vocab_size", tc.get("vocab_size"), s.vocabSize());
                if (th == null) {
                    Integer h = positiveInt(ocConfig, "text_cfg.heads", tc.get("heads"));
                    th = h == null ? 8 : h; // open_clip's CLIPTextCfg default
                    src[1] = "open_clip_config.json";
                }
            }
        }

        if (vh == null || th == null) {
            List<String> assumed = new ArrayList<>();
            if (vh == null) {
                vh = assume(s.visionWidth(), "vision", "--vision-heads");
                src[0] = "assumed width/64";
                assumed.add("vision " + vh);
            }
            if (th == null) {
                th = assume(s.textWidth(), "text", "--text-heads");
                src[1] = "assumed width/64";
                assumed.add("text " + th);
            }
            warnings.accept("warning: " + WeightsFormatException.oneLine(String.valueOf(file))
                    + ": attention heads are not recorded with these weights; assumed OpenAI's width/64 rule ("
                    + String.join(", ", assumed) + "); if that is wrong give --vision-heads N / --text-heads N"
                    + " (API: HeadCounts) or put the model's config.json beside the weights");
        }
        try {
            return s.withHeads(vh, th);
        } catch (IllegalArgumentException e) {
            throw new WeightsFormatException(file, "head counts (vision " + vh + " from " + src[0] + ", text " + th
                    + " from " + src[1] + ") do not fit: " + e.getMessage());
        }
    }

    private int assume(int width, String tower, String option) throws WeightsFormatException {
        int h = width / 64;
        if (h < 1 || width % 64 != 0) {
            throw new WeightsFormatException(file, "cannot tell the " + tower + " attention heads: nothing beside the "
                    + "weights records them and OpenAI's width/64 rule does not fit width " + width + "; give "
                    + option + " N (API: HeadCounts)");
        }
        return h;
    }

    private static Integer positiveInt(Path cfg, String key, Object v) throws WeightsFormatException {
        if (v == null) return null;
        if (!(v instanceof Long l) || l <= 0 || l > Integer.MAX_VALUE) {
            throw new WeightsFormatException(cfg, key + " is not a positive integer: " + Json.write(v));
        }
        return (int) (long) l;
    }

    private static void agree(Path cfg, String key, Object v, int actual) throws WeightsFormatException {
        if (!(v instanceof Long l)) return; // absent, or a form we do not check (lists)
        if (l != actual) {
            throw new WeightsFormatException(cfg, key + " is " + l + " but the weights have " + actual);
        }
    }
}
