package dev.clipengine.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face {@code CLIPModel} names → OpenAI names (the table in {@link ClipCheckpoint}'s documentation): q, k
 * and v are fused into {@code in_proj}, the two projections transposed, both materialised once in the source's
 * arena; every other tensor stays a zero-copy view.
 */
final class HuggingFaceNames implements NameMapping {

    private static final Map<String, String> HF_FIXED = Map.ofEntries(
            Map.entry("vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"),
            Map.entry("vision_model.embeddings.class_embedding", "visual.class_embedding"),
            Map.entry("vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"),
            Map.entry("vision_model.pre_layrnorm.weight", "visual.ln_pre.weight"),
            Map.entry("vision_model.pre_layrnorm.bias", "visual.ln_pre.bias"),
            Map.entry("vision_model.post_layernorm.weight", "visual.ln_post.weight"),
            Map.entry("vision_model.post_layernorm.bias", "visual.ln_post.bias"),
            Map.entry("visual_projection.weight", "visual.proj"),
            Map.entry("text_model.embeddings.token_embedding.weight", "token_embedding.weight"),
            Map.entry("text_model.embeddings.position_embedding.weight", "positional_embedding"),
            Map.entry("text_model.final_layer_norm.weight", "ln_final.weight"),
            Map.entry("text_model.final_layer_norm.bias", "ln_final.bias"),
            Map.entry("text_projection.weight", "text_projection"),
            Map.entry("logit_scale", "logit_scale"));

    private static final Map<String, String> HF_LAYER = new LinkedHashMap<>();

    static {
        HF_LAYER.put("self_attn.out_proj.", "attn.out_proj.");
        HF_LAYER.put("layer_norm1.", "ln_1.");
        HF_LAYER.put("layer_norm2.", "ln_2.");
        HF_LAYER.put("mlp.fc1.", "mlp.c_fc.");
        HF_LAYER.put("mlp.fc2.", "mlp.c_proj.");
    }

    private static final Pattern LAYER = Pattern.compile("(vision_model|text_model)\\.encoder\\.layers\\.(\\d{1,6})\\.(.+)");
    private static final Pattern QKV = Pattern.compile("self_attn\\.([qkv])_proj\\.(weight|bias)");

    @Override
    public boolean recognises(Map<String, Tensor> raw) {
        return raw.containsKey("vision_model.embeddings.patch_embedding.weight");
    }

    @Override
    public String naming() {
        return "Hugging Face CLIPModel names";
    }

    @Override
    public Map<String, Tensor> toOpenAi(Map<String, Tensor> raw, CheckpointSource source, List<String> ignored)
            throws WeightsFormatException {
        Path file = source.file;
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, String[]> fuseNames = new LinkedHashMap<>();
        Map<String, Tensor[]> fuse = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : raw.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            String fixed = HF_FIXED.get(name);
            if (fixed != null) {
                if (name.equals("visual_projection.weight") || name.equals("text_projection.weight")) {
                    out.put(fixed, transpose(source, name, t, fixed));
                } else {
                    out.put(fixed, new Tensor(fixed, t.dtype(), t.shape(), t.data()));
                }
                continue;
            }
            Matcher lm = LAYER.matcher(name);
            if (!lm.matches()) {
                ignored.add(name);
                continue;
            }
            String prefix = (lm.group(1).equals("vision_model") ? "visual.transformer.resblocks." : "transformer.resblocks.")
                    + Integer.parseInt(lm.group(2)) + ".";
            String rest = lm.group(3);
            Matcher qm = QKV.matcher(rest);
            if (qm.matches()) {
                String key = prefix + "attn.in_proj_" + qm.group(2);
                int idx = "qkv".indexOf(qm.group(1));
                fuse.computeIfAbsent(key, k -> new Tensor[3])[idx] = t;
                fuseNames.computeIfAbsent(key, k -> new String[3])[idx] = name;
                continue;
            }
            String mapped = null;
            for (Map.Entry<String, String> r : HF_LAYER.entrySet()) {
                if (rest.startsWith(r.getKey())) {
                    mapped = prefix + r.getValue() + rest.substring(r.getKey().length());
                    break;
                }
            }
            if (mapped == null) {
                ignored.add(name);
            } else {
                out.put(mapped, new Tensor(mapped, t.dtype(), t.shape(), t.data()));
            }
        }
        for (Map.Entry<String, Tensor[]> e : fuse.entrySet()) {
            Tensor[] parts = e.getValue();
            String[] names = fuseNames.get(e.getKey());
            String any = Arrays.stream(names).filter(Objects::nonNull).findFirst().orElseThrow();
            for (int i = 0; i < 3; i++) {
                if (parts[i] == null) {
                    String missing = any.replaceFirst("\\.[qkv]_proj\\.", "." + "qkv".charAt(i) + "_proj.");
                    throw new WeightsFormatException(file, "missing tensor '" + missing + "' (needed for "
                            + e.getKey() + ")");
                }
            }
            out.put(e.getKey(), concatRows(source, e.getKey(), names, parts));
        }
        return out;
    }

    private static Tensor concatRows(CheckpointSource source, String name, String[] names, Tensor[] parts) throws WeightsFormatException {
        Path file = source.file;
        Tensor q = parts[0];
        for (int i = 1; i < 3; i++) {
            if (parts[i].dtype() != q.dtype() || !Arrays.equals(parts[i].shape(), q.shape())) {
                throw new WeightsFormatException(file, "tensors '" + names[0] + "' (" + q.dtype() + Arrays.toString(q.shape())
                        + ") and '" + names[i] + "' (" + parts[i].dtype() + Arrays.toString(parts[i].shape())
                        + ") cannot be fused into " + name);
            }
        }
        if (q.rank() < 1) throw new WeightsFormatException(file, "tensor '" + names[0] + "' is a scalar; cannot fuse into " + name);
        long bytes = q.data().byteSize();
        MemorySegment dst = source.allocate(3 * bytes);
        for (int i = 0; i < 3; i++) MemorySegment.copy(parts[i].data(), 0, dst, i * bytes, bytes);
        long[] shape = q.shape().clone();
        shape[0] *= 3;
        return new Tensor(name, q.dtype(), shape, dst);
    }

    private static Tensor transpose(CheckpointSource source, String srcName, Tensor t, String name) throws WeightsFormatException {
        Path file = source.file;
        if (t.rank() != 2) {
            throw new WeightsFormatException(file, "tensor '" + srcName + "': expected a matrix, found shape "
                    + Arrays.toString(t.shape()));
        }
        long rows = t.shape()[0], cols = t.shape()[1];
        int b = t.dtype().bytes;
        MemorySegment src = t.data();
        MemorySegment dst = source.allocate(src.byteSize());
        for (long r = 0; r < rows; r++) {
            for (long c = 0; c < cols; c++) {
                long from = (r * cols + c) * b, to = (c * rows + r) * b;
                switch (b) {
                    case 2 -> dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, to, src.get(ValueLayout.JAVA_SHORT_UNALIGNED, from));
                    case 4 -> dst.set(ValueLayout.JAVA_INT_UNALIGNED, to, src.get(ValueLayout.JAVA_INT_UNALIGNED, from));
                    case 8 -> dst.set(ValueLayout.JAVA_LONG_UNALIGNED, to, src.get(ValueLayout.JAVA_LONG_UNALIGNED, from));
                    default -> MemorySegment.copy(src, from, dst, to, b);
                }
            }
        }
        return new Tensor(name, t.dtype(), new long[] {cols, rows}, dst);
    }
}
