package dev.clipengine.weights;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one family of checkpoints names CLIP's tensors, mapped to OpenAI's names (the engine's and the canonical
 * file's). A new family is a new mapping in {@link #FAMILIES}; finding the file, inferring the architecture and the
 * heads do not change.
 */
interface NameMapping {

    /** Whether these tensors (after a DDP {@code module.} prefix is stripped) are named this way. */
    boolean recognises(Map<String, Tensor> raw);

    /** How {@link ClipCheckpoint#format()} calls this naming. */
    String naming();

    /**
     * The tensors under OpenAI names; source names that are not part of the model go to {@code ignored}. Tensors that
     * must be rebuilt (fused, transposed) are materialised in {@code source}'s arena.
     */
    Map<String, Tensor> toOpenAi(Map<String, Tensor> raw, CheckpointSource source, List<String> ignored) throws WeightsFormatException;

    /** OpenAI's own names (also OpenCLIP's and the canonical file's): nothing to map. */
    NameMapping OPENAI = new NameMapping() {
        public boolean recognises(Map<String, Tensor> raw) {
            return raw.containsKey("visual.conv1.weight");
        }

        public String naming() {
            return "OpenAI names";
        }

        public Map<String, Tensor> toOpenAi(Map<String, Tensor> raw, CheckpointSource source, List<String> ignored) {
            return raw;
        }
    };

    /** The families known, tried in order. */
    List<NameMapping> FAMILIES = List.of(OPENAI, new HuggingFaceNames());

    /**
     * The names without a {@code module.} prefix that every tensor carries (DataParallel's), or null when they do
     * not all carry it.
     */
    static Map<String, Tensor> stripModulePrefix(Map<String, Tensor> raw) {
        if (raw.isEmpty() || !raw.keySet().stream().allMatch(n -> n.startsWith("module."))) return null;
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : raw.entrySet()) {
            String n = e.getKey().substring("module.".length());
            Tensor t = e.getValue();
            m.put(n, new Tensor(n, t.dtype(), t.shape(), t.data()));
        }
        return m;
    }
}
