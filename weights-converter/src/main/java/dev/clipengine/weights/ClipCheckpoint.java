package dev.clipengine.weights;

import dev.clipengine.weights.torch.TorchFile;
import dev.clipengine.weights.torch.ZipArchive;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    private static final long MAX_JSON_BYTES = 64L << 20;

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

    private ClipCheckpoint(Loader l, ClipConfig config, Map<String, Tensor> tensors, List<String> ignored,
                           String headsSource) {
        this.source = l.file;
        this.format = l.format();
        this.config = config;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.files = List.copyOf(l.paths);
        this.resources = List.copyOf(l.resources);
        this.arena = l.arena;
        this.metadata = Collections.unmodifiableMap(l.metadata);
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
        Loader l = new Loader(path, overrides == null ? HeadCounts.NONE : overrides,
                warnings == null ? s -> { } : warnings);
        try {
            return l.load();
        } catch (IOException | RuntimeException e) {
            l.closeAll();
            throw e;
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

    private static void closeQuietly(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception ignored) {
                // SafetensorsFile and TorchFile only unmap; nothing can fail
            }
        }
    }

    // =====================================================================================
    // loading

    private static final class Loader {
        final Path given;
        final HeadCounts overrides;
        final Consumer<String> warnings;
        final List<Path> paths = new ArrayList<>();
        final List<AutoCloseable> resources = new ArrayList<>();
        Arena arena;
        String torchKind;
        Path file;
        Path dir;
        Map<String, String> metadata = new LinkedHashMap<>();
        boolean canonical, sharded, hfNames, modulePrefix;
        final List<String> ignored = new ArrayList<>();

        Loader(Path given, HeadCounts overrides, Consumer<String> warnings) {
            this.given = given;
            this.overrides = overrides;
            this.warnings = warnings;
        }

        void closeAll() {
            closeQuietly(resources);
            if (arena != null && arena.scope().isAlive()) arena.close();
        }

        String format() {
            String naming = hfNames ? "Hugging Face CLIPModel names" : canonical ? "canonical" : "OpenAI names";
            if (sharded) return "sharded safetensors (" + paths.size() + (paths.size() == 1 ? " shard, " : " shards, ") + naming + ")";
            if (torchKind != null) return torchKind + " (" + naming + (modulePrefix ? ", module. prefix" : "") + ")";
            String f = canonical ? FORMAT_CANONICAL : hfNames ? FORMAT_HF : FORMAT_OPENAI;
            return modulePrefix ? f + " (module. prefix)" : f;
        }

        ClipCheckpoint load() throws IOException {
            Objects.requireNonNull(given, "path");
            if (!Files.exists(given)) throw new WeightsFormatException(given, "no such file or directory");
            file = Files.isDirectory(given) ? pickInDirectory(given) : given;
            Path abs = file.toAbsolutePath();
            dir = abs.getParent();
            String name = String.valueOf(file.getFileName());
            Map<String, Tensor> raw = name.endsWith(".index.json") ? readSharded() : readSingle();

            // names
            raw = stripModulePrefix(raw);
            Map<String, Tensor> m;
            if (raw.containsKey("visual.conv1.weight")) {
                m = raw;
            } else if (raw.containsKey("vision_model.embeddings.patch_embedding.weight")) {
                hfNames = true;
                m = mapHuggingFace(raw);
            } else {
                List<String> first = raw.keySet().stream().limit(3).toList();
                throw new NotAClipException(file, "not a CLIP checkpoint: none of its " + raw.size()
                        + " tensors is visual.conv1.weight or vision_model.embeddings.patch_embedding.weight"
                        + (first.isEmpty() ? "" : " (first: " + String.join(", ", first) + ")"));
            }
            if (canonical && hfNames) throw new WeightsFormatException(file, "canonical file with Hugging Face names");

            ClipConfig shapes = fromShapes(m);
            String[] heads = new String[2];
            ClipConfig config = resolveHeads(shapes, heads);

            // validate and order
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
            refuseNonFinite(out);
            for (String n : m.keySet()) if (!out.containsKey(n)) ignored.add(n);
            String hs = heads[0].equals(heads[1]) ? heads[0] : "vision: " + heads[0] + ", text: " + heads[1];
            return new ClipCheckpoint(this, config, out, ignored, hs);
        }

        /**
         * Refuses the first tensor (in checkpoint order) holding a NaN or an infinity. The scan reads every weight, a
         * tenth to a third of a second of a cold start at memory speed, so the tensors are scanned on all cores
         * (the common pool); which tensor is named does not depend on which finished first.
         */
        private void refuseNonFinite(Map<String, Tensor> tensors) throws WeightsFormatException {
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

        // ---------------------------------------------------------------- files

        Path pickInDirectory(Path d) throws IOException {
            for (String n : DIRECTORY_FILES) {
                Path p = d.resolve(n);
                if (Files.isRegularFile(p)) return p;
            }
            TreeSet<String> found = new TreeSet<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
                for (Path p : ds) found.add(String.valueOf(p.getFileName()));
            }
            String list = found.isEmpty() ? "it is empty" : "found: " + String.join(", ", found.stream().limit(10).toList())
                    + (found.size() > 10 ? ", ... (" + found.size() + " entries)" : "");
            throw new WeightsFormatException(d, "no " + String.join(", ", DIRECTORY_FILES) + " in this directory; " + list);
        }

        Map<String, Tensor> readSingle() throws IOException {
            if (!Files.isRegularFile(file)) throw new WeightsFormatException(file, "not a regular file");
            byte[] head = SafetensorsFile.head(file, 8);
            String name = String.valueOf(file.getFileName()).toLowerCase(java.util.Locale.ROOT);
            boolean pickle = head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5;
            if (ZipArchive.looksLikeZip(head)) {
                TorchFile tf = TorchFile.open(file);
                resources.add(tf);
                paths.add(file);
                torchKind = tf.kind();
                return tf.tensors();
            }
            if (pickle) throw new WeightsFormatException(file, LEGACY_PICKLE_MESSAGE);
            SafetensorsFile sf;
            try {
                sf = SafetensorsFile.open(file);
            } catch (WeightsFormatException e) {
                if (name.endsWith(".safetensors")) throw e;
                boolean torchName = name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".bin") || name.endsWith(".ckpt");
                String prefix = file + ": ";
                String why = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
                throw new WeightsFormatException(file, "unrecognised weights file: " + why + "; not a PyTorch zip or "
                        + "pickle either" + (torchName ? " despite its name" : "")
                        + "; expected a .safetensors file, a *.safetensors.index.json, a PyTorch .pt/.bin zip or a checkpoint directory");
            }
            resources.add(sf);
            paths.add(file);
            metadata.putAll(sf.metadata());
            String fmt = sf.metadata().get("format");
            if (CANONICAL_FORMAT.equals(fmt)) {
                canonical = true;
                String v = sf.metadata().get("format_version");
                if (!CANONICAL_VERSION.equals(v)) {
                    throw new WeightsFormatException(file, "canonical format_version " + v + " is not supported (this reader knows "
                            + CANONICAL_VERSION + ")");
                }
            }
            return sf.tensors();
        }

        Map<String, Tensor> readSharded() throws IOException {
            sharded = true;
            Object parsed = readJson(file);
            if (!(parsed instanceof Map<?, ?> root) || !(root.get("weight_map") instanceof Map<?, ?> wm)) {
                throw new WeightsFormatException(file, "sharded index has no \"weight_map\" object");
            }
            if (wm.isEmpty()) throw new WeightsFormatException(file, "sharded index has an empty weight_map");
            if (root.get("metadata") instanceof Map<?, ?> md) {
                for (Map.Entry<?, ?> e : md.entrySet()) {
                    metadata.put((String) e.getKey(), e.getValue() instanceof String s ? s : Json.write(e.getValue()));
                }
            }
            Path base = dir.normalize();
            Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
            Map<String, Tensor> raw = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : wm.entrySet()) {
                String tensor = (String) e.getKey();
                if (!(e.getValue() instanceof String rel) || rel.isEmpty()) {
                    throw new WeightsFormatException(file, "weight_map entry for '" + tensor + "' is not a file name");
                }
                SafetensorsFile sf = shards.get(rel);
                if (sf == null) {
                    Path p;
                    try {
                        Path r = Path.of(rel);
                        p = base.resolve(r).normalize();
                        if (r.isAbsolute() || !p.startsWith(base) || p.equals(base)) p = null;
                    } catch (java.nio.file.InvalidPathException ex) {
                        p = null;
                    }
                    if (p == null) {
                        throw new WeightsFormatException(file, "shard path '" + rel + "' (tensor '" + tensor
                                + "') leaves the folder of the index");
                    }
                    if (!Files.isRegularFile(p)) {
                        throw new WeightsFormatException(file, "shard '" + rel + "' (tensor '" + tensor + "') does not exist");
                    }
                    sf = SafetensorsFile.open(p);
                    resources.add(sf);
                    paths.add(p);
                    shards.put(rel, sf);
                }
                Tensor t = sf.tensors().get(tensor);
                if (t == null) {
                    throw new WeightsFormatException(sf.path(), "tensor '" + tensor + "', listed in "
                            + file.getFileName() + ", is not in this shard");
                }
                raw.put(tensor, t);
            }
            return raw;
        }

        Object readJson(Path p) throws IOException {
            long size = Files.size(p);
            if (size > MAX_JSON_BYTES) throw new WeightsFormatException(p, "JSON file of " + size + " bytes is too large");
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(p))).toString();
            } catch (CharacterCodingException e) {
                throw new WeightsFormatException(p, "not valid UTF-8");
            }
            try {
                return Json.parse(text);
            } catch (IllegalArgumentException e) {
                throw new WeightsFormatException(p, "not valid JSON: " + e.getMessage());
            }
        }

        Map<String, Tensor> stripModulePrefix(Map<String, Tensor> raw) {
            if (raw.isEmpty() || !raw.keySet().stream().allMatch(n -> n.startsWith("module."))) return raw;
            modulePrefix = true;
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : raw.entrySet()) {
                String n = e.getKey().substring("module.".length());
                Tensor t = e.getValue();
                m.put(n, new Tensor(n, t.dtype(), t.shape(), t.data()));
            }
            return m;
        }

        // ---------------------------------------------------------------- Hugging Face names

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

        Map<String, Tensor> mapHuggingFace(Map<String, Tensor> raw) throws WeightsFormatException {
            Map<String, Tensor> out = new LinkedHashMap<>();
            Map<String, String[]> fuseNames = new LinkedHashMap<>();
            Map<String, Tensor[]> fuse = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : raw.entrySet()) {
                String name = e.getKey();
                Tensor t = e.getValue();
                String fixed = HF_FIXED.get(name);
                if (fixed != null) {
                    if (name.equals("visual_projection.weight") || name.equals("text_projection.weight")) {
                        out.put(fixed, transpose(name, t, fixed));
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
                out.put(e.getKey(), concatRows(e.getKey(), names, parts));
            }
            return out;
        }

        MemorySegment allocate(long bytes) {
            if (arena == null) arena = Arena.ofShared();
            return arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
        }

        Tensor concatRows(String name, String[] names, Tensor[] parts) throws WeightsFormatException {
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
            MemorySegment dst = allocate(3 * bytes);
            for (int i = 0; i < 3; i++) MemorySegment.copy(parts[i].data(), 0, dst, i * bytes, bytes);
            long[] shape = q.shape().clone();
            shape[0] *= 3;
            return new Tensor(name, q.dtype(), shape, dst);
        }

        Tensor transpose(String srcName, Tensor t, String name) throws WeightsFormatException {
            if (t.rank() != 2) {
                throw new WeightsFormatException(file, "tensor '" + srcName + "': expected a matrix, found shape "
                        + Arrays.toString(t.shape()));
            }
            long rows = t.shape()[0], cols = t.shape()[1];
            int b = t.dtype().bytes;
            MemorySegment src = t.data();
            MemorySegment dst = allocate(src.byteSize());
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

        // ---------------------------------------------------------------- architecture

        Tensor need(Map<String, Tensor> m, String name, int rank) throws WeightsFormatException {
            Tensor t = m.get(name);
            if (t == null) throw new WeightsFormatException(file, "missing tensor '" + name + "'");
            if (t.rank() != rank) {
                throw new WeightsFormatException(file, "tensor '" + name + "': expected rank " + rank + ", found shape "
                        + Arrays.toString(t.shape()));
            }
            for (long d : t.shape()) {
                if (d > Integer.MAX_VALUE) {
                    throw new WeightsFormatException(file, "tensor '" + name + "': dimension " + d + " is too large");
                }
            }
            return t;
        }

        int layers(Map<String, Tensor> m, String prefix) throws WeightsFormatException {
            int max = -1;
            for (String n : m.keySet()) {
                if (!n.startsWith(prefix)) continue;
                int dot = n.indexOf('.', prefix.length());
                if (dot < 0) continue;
                String idx = n.substring(prefix.length(), dot);
                if (!idx.matches("\\d{1,5}")) continue;
                max = Math.max(max, Integer.parseInt(idx));
            }
            if (max < 0) throw new WeightsFormatException(file, "no '" + prefix + "*' tensors (no transformer layers)");
            return max + 1;
        }

        /** The architecture from shapes, with placeholder heads (1); heads are resolved afterwards. */
        ClipConfig fromShapes(Map<String, Tensor> m) throws WeightsFormatException {
            Tensor conv = need(m, "visual.conv1.weight", 4);
            int dv = conv.dim(0), patch = conv.dim(2);
            Tensor vpos = need(m, "visual.positional_embedding", 2);
            long tokens = vpos.shape()[0] - 1;
            int grid = (int) Math.round(Math.sqrt((double) tokens));
            if (tokens < 1 || (long) grid * grid != tokens) {
                throw new WeightsFormatException(file, "tensor 'visual.positional_embedding' has " + vpos.shape()[0]
                        + " rows; expected 1 + a square number of patches");
            }
            int vLayers = layers(m, "visual.transformer.resblocks.");
            int vMlp = need(m, "visual.transformer.resblocks.0.mlp.c_fc.weight", 2).dim(0);
            int embed = need(m, "visual.proj", 2).dim(1);
            int ctx = need(m, "positional_embedding", 2).dim(0);
            int vocab = need(m, "token_embedding.weight", 2).dim(0);
            int dt = need(m, "ln_final.weight", 1).dim(0);
            int tLayers = layers(m, "transformer.resblocks.");
            int tMlp = need(m, "transformer.resblocks.0.mlp.c_fc.weight", 2).dim(0);
            try {
                return new ClipConfig(embed, grid * patch, patch, dv, vLayers, 1, vMlp, ctx, vocab, dt, tLayers, 1, tMlp);
            } catch (IllegalArgumentException e) {
                throw new WeightsFormatException(file, "tensor shapes do not make a CLIP: " + e.getMessage());
            }
        }

        // ---------------------------------------------------------------- heads

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
            if (Files.isRegularFile(hfConfig) && readJson(hfConfig) instanceof Map<?, ?> root
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
            if ((vh == null || th == null) && Files.isRegularFile(ocConfig) && readJson(ocConfig) instanceof Map<?, ?> root) {
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

        int assume(int width, String tower, String option) throws WeightsFormatException {
            int h = width / 64;
            if (h < 1 || width % 64 != 0) {
                throw new WeightsFormatException(file, "cannot tell the " + tower + " attention heads: nothing beside the "
                        + "weights records them and OpenAI's width/64 rule does not fit width " + width + "; give "
                        + option + " N (API: HeadCounts)");
            }
            return h;
        }

        static Integer positiveInt(Path cfg, String key, Object v) throws WeightsFormatException {
            if (v == null) return null;
            if (!(v instanceof Long l) || l <= 0 || l > Integer.MAX_VALUE) {
                throw new WeightsFormatException(cfg, key + " is not a positive integer: " + Json.write(v));
            }
            return (int) (long) l;
        }

        static void agree(Path cfg, String key, Object v, int actual) throws WeightsFormatException {
            if (!(v instanceof Long l)) return; // absent, or a form we do not check (lists)
            if (l != actual) {
                throw new WeightsFormatException(cfg, key + " is " + l + " but the weights have " + actual);
            }
        }
    }
}
