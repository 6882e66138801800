package dev.clipengine.heads;

import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;
import dev.clipengine.weights.torch.TorchFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A seed-head checkpoint as the official repositories save it (docs/seed-heads.md §1): a
 * {@code torch.save} zip of a DDP state dict (every key prefixed {@code module.}, CLIP tensors shared under several
 * names, fp16 and int64 entries), or an mmcv checkpoint {@code {'meta', 'state_dict', 'optimizer'}} whose optimizer
 * state is skipped. Keys are looked up without the DDP prefix; every lookup checks the shape, so a broken or foreign
 * file fails in one line that names the key and what was expected.
 */
public final class SeedCheckpoint implements AutoCloseable {

    /** Any size in a {@link #require} shape. */
    static final long ANY = -1;

    private final Path path;
    private final Map<String, Tensor> tensors;
    private final String configText;
    /** What the tensors live in (the mapped file), closed with this; null for heap tensors. */
    private final AutoCloseable owner;

    private SeedCheckpoint(Path path, Map<String, Tensor> tensors, String configText, AutoCloseable owner) {
        this.path = path;
        this.tensors = tensors;
        this.configText = configText;
        this.owner = owner;
    }

    /** Tensors already in memory under their state-dict names (random weights for benchmarks), named {@code path}. */
    static SeedCheckpoint of(Path path, Map<String, Tensor> tensors, String configText) {
        return new SeedCheckpoint(path, Map.copyOf(tensors), configText == null ? "" : configText, null);
    }

    public static SeedCheckpoint open(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new WeightsFormatException(path, "no such checkpoint file");
        TorchFile file = TorchFile.open(path);
        if (!file.kind().equals(TorchFile.KIND_TORCH_SAVE)) {
            file.close();
            throw new WeightsFormatException(path, "is a " + file.kind() + ", not a torch.save checkpoint of a seed head");
        }
        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : file.tensors().entrySet()) {
            // DDP's `module.` prefix; the official loaders strip it too (ReCLIP test.py, mmcv load_checkpoint)
            String k = e.getKey().startsWith("module.") ? e.getKey().substring(7) : e.getKey();
            byName.putIfAbsent(k, e.getValue());
        }
        String config = file.meta().get("config") instanceof String c ? c : "";
        return new SeedCheckpoint(file.path(), Collections.unmodifiableMap(byName), config, file);
    }

    public Path path() {
        return path;
    }

    public boolean has(String key) {
        return tensors.containsKey(key);
    }

    /** The tensor under {@code key} (DDP prefix stripped), which must have {@code shape} ({@link #ANY} matches any size). */
    Tensor require(String key, long... shape) throws WeightsFormatException {
        Tensor t = tensors.get(key);
        if (t == null) throw new WeightsFormatException(path(), "missing tensor '" + key + "'" + expected(shape) + ": not a checkpoint of this head, or an incomplete one");
        checkShape(t, key, shape);
        switch (t.dtype()) {
            case F32, F16, BF16 -> { }
            default -> throw new WeightsFormatException(path(), "tensor '" + key + "' has dtype " + t.dtype() + ", expected a float type");
        }
        for (int i = 0; i < t.elementCount(); i++) {
            if (!Float.isFinite(t.getFloat(i))) {
                throw new WeightsFormatException(path(), "tensor '" + key + "' holds a non-finite value at element " + i);
            }
        }
        return t;
    }

    /** The tensor under {@code key}, or null when it is absent; present, it must have {@code shape}. */
    Tensor optional(String key, long... shape) throws WeightsFormatException {
        return tensors.containsKey(key) ? require(key, shape) : null;
    }

    /** {@link #require} copied to the heap as fp32 (fp16 widened exactly). */
    float[] floats(String key, long... shape) throws WeightsFormatException {
        return require(key, shape).toFloatArray();
    }

    private void checkShape(Tensor t, String key, long[] shape) throws WeightsFormatException {
        boolean ok = t.rank() == shape.length;
        for (int i = 0; ok && i < shape.length; i++) ok = shape[i] == ANY || shape[i] == t.shape()[i];
        if (!ok) throw new WeightsFormatException(path(), "tensor '" + key + "' has shape " + Arrays.toString(t.shape()) + expected(shape));
    }

    private static String expected(long[] shape) {
        StringBuilder b = new StringBuilder(", expected [");
        for (int i = 0; i < shape.length; i++) b.append(i > 0 ? ", " : "").append(shape[i] == ANY ? "*" : Long.toString(shape[i]));
        return b.append(']').toString();
    }

    /** The config text an mmcv checkpoint embeds ({@code meta['config']}), or "" when there is none. */
    String configText() {
        return configText;
    }

    @Override
    public void close() {
        try {
            if (owner != null) owner.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);   // TorchFile only unmaps: nothing can fail
        }
    }
}
