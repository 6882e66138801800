package dev.clipengine.weights;

import dev.clipengine.weights.torch.TorchFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A CLIP checkpoint in one of the formats users hold, read into OpenAI's tensor names (the names
 * of OpenAI's {@code state_dict}, which the engine and the canonical file use).
 *
 * <h2>Formats</h2>
 * <ul>
 * <li>a single {@code .safetensors} file: our canonical file ({@code __metadata__.format =
 *     "clip-engine-canonical"}), OpenAI/OpenCLIP names (optionally all under a {@code module.}
 *     prefix, as DataParallel saves them), or Hugging Face {@code CLIPModel} names;</li>
 * <li>a sharded Hugging Face checkpoint {@code *.safetensors.index.json}: its {@code weight_map}
 *     maps tensor names to shard files, resolved relative to the index; a shard path that leaves
 *     the index's folder (absolute, or through {@code ..}) is refused. The check is on the path as
 *     written, so shards that are symlinks into a cache (the Hugging Face hub layout) work;</li>
 * <li>a directory holding {@code model.safetensors}, {@code model.safetensors.index.json} or
 *     {@code open_clip_model.safetensors} (looked for in that order), usually with
 *     {@code config.json} and/or {@code open_clip_config.json};</li>
 * <li>a PyTorch zip checkpoint ({@link TorchFile}): a {@code torch.save} state dict ({@code .pt},
 *     {@code .pth}, {@code pytorch_model.bin}; OpenAI or Hugging Face names; fp32, fp16 or bf16) or
 *     a TorchScript archive such as OpenAI's {@code ViT-B-16.pt}, walked to its state-dict names. A
 *     directory is searched for {@code pytorch_model.bin} and {@code open_clip_pytorch_model.bin}
 *     after the safetensors names. The pre-1.6 (non-zip) {@code torch.save} format is refused with
 *     a hint.</li>
 * </ul>
 *
 * <h2>Hugging Face → OpenAI mapping</h2>
 * <pre>
 * vision_model.embeddings.patch_embedding.weight     → visual.conv1.weight
 * vision_model.embeddings.class_embedding            → visual.class_embedding
 * vision_model.embeddings.position_embedding.weight  → visual.positional_embedding
 * vision_model.pre_layrnorm.{weight,bias}            → visual.ln_pre.*
 * vision_model.encoder.layers.{i}.X                  → visual.transformer.resblocks.{i}.X' (below)
 * vision_model.post_layernorm.{weight,bias}          → visual.ln_post.*
 * visual_projection.weight [E, Dv]                   → visual.proj [Dv, E]  (transposed, materialised)
 * text_model.embeddings.token_embedding.weight       → token_embedding.weight
 * text_model.embeddings.position_embedding.weight    → positional_embedding
 * text_model.encoder.layers.{i}.X                    → transformer.resblocks.{i}.X'
 * text_model.final_layer_norm.{weight,bias}          → ln_final.*
 * text_projection.weight [E, Dt]                     → text_projection [Dt, E]  (transposed, materialised)
 * logit_scale                                        → logit_scale
 * *.position_ids                                     → ignored (buffers)
 *
 * inside a layer (X → X'):
 * self_attn.{q,k,v}_proj.weight [D, D] → attn.in_proj_weight [3D, D]  (fused: rows q, then k, then v)
 * self_attn.{q,k,v}_proj.bias   [D]    → attn.in_proj_bias [3D]       (fused likewise)
 * self_attn.out_proj.*                 → attn.out_proj.*
 * layer_norm1.*, layer_norm2.*         → ln_1.*, ln_2.*
 * mlp.fc1.*, mlp.fc2.*                 → mlp.c_fc.*, mlp.c_proj.*
 * </pre>
 * The fused and transposed tensors are not kept separately: they are materialised once, in the
 * source dtype, in an {@link Arena} owned by this checkpoint. Every other tensor (and every tensor
 * of canonical and OpenAI-named files) is a zero-copy slice of the memory-mapped file.
 *
 * <h2>Architecture</h2>
 * Read from shapes: vision width = {@code conv1[0]}, patch = {@code conv1[2]}, image size =
 * sqrt(positional rows − 1)·patch, layers = number of resblocks, MLP widths = {@code c_fc} rows,
 * embed = {@code proj} columns, context = text positional rows, vocab = token embedding rows,
 * text width = {@code ln_final} size. Heads cannot be read from shapes; they come, per tower, from
 * the first of: explicit {@link HeadCounts}, the canonical file's {@code __metadata__.config}, a
 * Hugging Face {@code config.json} beside the weights ({@code *_config.num_attention_heads}), an
 * OpenCLIP {@code open_clip_config.json} beside the weights ({@code vision_cfg.head_width},
 * {@code text_cfg.heads}), else OpenAI's {@code build_model} rule width/64, announced with one
 * warning line. A side file whose sizes disagree with the shapes is an error. Every expected tensor
 * is then checked for presence, shape and a float dtype (F32, F16, BF16).
 *
 * <h2>Structure</h2>
 * Each step is its own class: {@link CheckpointSource} finds and opens the file, a {@link NameMapping} (one per
 * family: {@link NameMapping#OPENAI}, {@link HuggingFaceNames}) maps its names to OpenAI's,
 * {@link ArchitectureInference} reads the shapes, {@link HeadInference} the heads; this class checks every tensor
 * and owns the result. A new family of checkpoints is a new mapping.
 */
public final class ClipCheckpoint implements AutoCloseable {

    /** {@code __metadata__.format} of the canonical file. */
    public static final String CANONICAL_FORMAT = "clip-engine-canonical";
    /** {@code __metadata__.format_version} this reader understands. */
    public static final String CANONICAL_VERSION = "1";

    public static final String FORMAT_CANONICAL = "canonical safetensors";
    public static final String FORMAT_OPENAI = "OpenAI/OpenCLIP safetensors";
    public static final String FORMAT_HF = "Hugging Face CLIPModel safetensors";

    static final String LEGACY_PICKLE_MESSAGE = "a PyTorch checkpoint in the legacy pre-1.6 torch.save format (a bare "
            + "pickle, not a zip), which is not supported; re-save it with a current torch (torch.save(torch.load(f), f2)) "
            + "or as safetensors (safetensors.torch.save_file(state_dict, 'model.safetensors'))";

    /** What a checkpoint directory is searched for, in this order. */
    static final List<String> DIRECTORY_FILES = List.of("model.safetensors", "model.safetensors.index.json",
            "open_clip_model.safetensors", "pytorch_model.bin", "open_clip_pytorch_model.bin");

    private final Path source;
    private final String format;
    private final ClipConfig config;
    private final Map<String, Tensor> tensors;
    private final List<Path> files;
    private final List<AutoCloseable> resources;
    private final Arena arena;
    private final Map<String, String> metadata;
    private final List<String> ignored;
    private final String headsSource;
    private boolean closed;

    private ClipCheckpoint(CheckpointSource src, String format, ClipConfig config, Map<String, Tensor> tensors,
                           List<String> ignored, String headsSource) {
        this.source = src.file;
        this.format = format;
        this.config = config;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.files = List.copyOf(src.paths);
        this.resources = List.copyOf(src.resources);
        this.arena = src.arena;
        this.metadata = Collections.unmodifiableMap(src.metadata);
        this.ignored = List.copyOf(ignored);
        this.headsSource = headsSource;
    }

    /** Opens {@code path} (file, index or directory), detecting the format; heads from side files. */
    public static ClipCheckpoint open(Path path) throws IOException {
        return open(path, HeadCounts.NONE);
    }

    /** As {@link #open(Path)}, with head counts given by the user (they win over side files). */
    public static ClipCheckpoint open(Path path, HeadCounts overrides) throws IOException {
        return open(path, overrides, System.err::println);
    }

    /**
     * As {@link #open(Path, HeadCounts)}; {@code warnings} receives the one-line notice printed when
     * heads had to be assumed (default: standard error).
     */
    public static ClipCheckpoint open(Path path, HeadCounts overrides, Consumer<String> warnings) throws IOException {
        CheckpointSource src = CheckpointSource.open(path);
        try {
            return load(src, overrides == null ? HeadCounts.NONE : overrides, warnings == null ? s -> { } : warnings);
        } catch (IOException | RuntimeException e) {
            src.closeAll();
            throw e;
        }
    }

    /** The steps, each its own class: source → names → architecture → heads, then every tensor checked. */
    private static ClipCheckpoint load(CheckpointSource src, HeadCounts overrides, Consumer<String> warnings) throws IOException {
        Path file = src.file;
        Map<String, Tensor> raw = src.tensors();
        Map<String, Tensor> stripped = NameMapping.stripModulePrefix(raw);
        boolean modulePrefix = stripped != null;
        if (modulePrefix) raw = stripped;
        final Map<String, Tensor> named = raw;
        NameMapping mapping = NameMapping.FAMILIES.stream().filter(f -> f.recognises(named)).findFirst().orElse(null);
        if (mapping == null) {
            List<String> first = raw.keySet().stream().limit(3).toList();
            throw new NotAClipException(file, "not a CLIP checkpoint: none of its " + raw.size()
                    + " tensors is visual.conv1.weight or vision_model.embeddings.patch_embedding.weight"
                    + (first.isEmpty() ? "" : " (first: " + String.join(", ", first) + ")"));
        }
        List<String> ignored = new ArrayList<>();
        Map<String, Tensor> m = mapping.toOpenAi(raw, src, ignored);
        boolean hfNames = mapping != NameMapping.OPENAI;
        if (src.canonical && hfNames) throw new WeightsFormatException(file, "canonical file with Hugging Face names");

        ClipConfig shapes = new ArchitectureInference(file).fromShapes(m);
        String[] heads = new String[2];
        ClipConfig config = new HeadInference(src, overrides, warnings).resolveHeads(shapes, heads);
        Map<String, Tensor> out = validate(file, config, m);
        for (String n : m.keySet()) if (!out.containsKey(n)) ignored.add(n);
        String hs = heads[0].equals(heads[1]) ? heads[0] : "vision: " + heads[0] + ", text: " + heads[1];
        return new ClipCheckpoint(src, format(src, mapping, modulePrefix), config, out, ignored, hs);
    }

    private static String format(CheckpointSource src, NameMapping mapping, boolean modulePrefix) {
        boolean hfNames = mapping != NameMapping.OPENAI;
        String naming = hfNames ? mapping.naming() : src.canonical ? "canonical" : mapping.naming();
        if (src.sharded) return "sharded safetensors (" + src.paths.size() + (src.paths.size() == 1 ? " shard, " : " shards, ") + naming + ")";
        if (src.torchKind != null) return src.torchKind + " (" + naming + (modulePrefix ? ", module. prefix" : "") + ")";
        String f = src.canonical ? FORMAT_CANONICAL : hfNames ? FORMAT_HF : FORMAT_OPENAI;
        return modulePrefix ? f + " (module. prefix)" : f;
    }

    /** Every tensor the architecture has: present, of its shape, a float type and finite; in config order. */
    private static Map<String, Tensor> validate(Path file, ClipConfig config, Map<String, Tensor> m) throws WeightsFormatException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : config.tensorShapes().entrySet()) {
            String n = e.getKey();
            Tensor t = m.get(n);
            if (t == null) {
                throw new WeightsFormatException(file, "missing tensor '" + n + "' (expected shape "
                        + Arrays.toString(e.getValue()) + ")");
            }
            long[] want = e.getValue();
            if (n.equals("logit_scale") && Arrays.equals(t.shape(), new long[] {1})) {
                t = new Tensor(n, t.dtype(), new long[0], t.data());
            }
            if (!Arrays.equals(t.shape(), want)) {
                throw new WeightsFormatException(file, "tensor '" + n + "': expected shape " + Arrays.toString(want)
                        + ", found " + Arrays.toString(t.shape()));
            }
            if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
                throw new WeightsFormatException(file, "tensor '" + n + "': dtype " + t.dtype()
                        + " is not a float weight type (F32, F16 or BF16)");
            }
            out.put(n, t.name().equals(n) ? t : new Tensor(n, t.dtype(), t.shape(), t.data()));
        }
        refuseNonFinite(file, out);
        return out;
    }

    /**
     * Refuses the first tensor (in checkpoint order) holding a NaN or an infinity. The scan reads every weight, a
     * tenth to a third of a second of a cold start at memory speed, so the tensors are scanned on all cores
     * (the common pool); which tensor is named does not depend on which finished first.
     */
    private static void refuseNonFinite(Path file, Map<String, Tensor> tensors) throws WeightsFormatException {
        List<Tensor> all = List.copyOf(tensors.values());
        long[] bad = java.util.stream.IntStream.range(0, all.size()).parallel()
                .mapToLong(i -> FiniteCheck.firstNonFinite(all.get(i))).toArray();
        for (int i = 0; i < bad.length; i++) {
            if (bad[i] >= 0) {
                Tensor t = all.get(i);
                throw new WeightsFormatException(file, "tensor '" + t.name() + "' holds " + t.getFloat(bad[i])
                        + " at element " + bad[i] + ": weights must be finite (a damaged file or a diverged training run)");
            }
        }
    }

    public ClipConfig config() {
        return config;
    }

    /**
     * What was read, e.g. {@code "canonical safetensors"}, {@code "OpenAI/OpenCLIP safetensors"},
     * {@code "Hugging Face CLIPModel safetensors"}, {@code "sharded safetensors (2 shards, ...)"}.
     */
    public String format() {
        return format;
    }

    /** All tensors under OpenAI names, in {@link ClipConfig#tensorShapes()} order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The tensor under its OpenAI name; a one-line error naming the file and tensor when absent. */
    public Tensor tensor(String openAiName) throws WeightsFormatException {
        Tensor t = tensors.get(openAiName);
        if (t == null) throw new WeightsFormatException(source, "missing tensor '" + openAiName + "'");
        return t;
    }

    /** The file read: the safetensors file or the index (for a directory, the file found in it). */
    public Path source() {
        return source;
    }

    /** The weight files read (one, or the shards in index order). */
    public List<Path> files() {
        return files;
    }

    /** The source's {@code __metadata__} (for a sharded checkpoint: the index's {@code metadata}). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Source tensor names that are not part of the model (buffers such as {@code position_ids}, extras). */
    public List<String> ignored() {
        return ignored;
    }

    /** Where the head counts came from, e.g. {@code "vision: config.json, text: config.json"}. */
    public String headsSource() {
        return headsSource;
    }

    /** Unmaps the files and frees materialised tensors; tensors must not be used afterwards. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        closeQuietly(resources);
        if (arena != null && arena.scope().isAlive()) arena.close();
    }

    static void closeQuietly(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception ignored) {
                // SafetensorsFile and TorchFile only unmap; nothing can fail
            }
        }
    }
}
