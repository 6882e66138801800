package dev.clipengine.weights.torch;

import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;
import dev.clipengine.weights.torch.PyValues.PyObject;
import dev.clipengine.weights.torch.TorchGlobals.StorageRef;
import dev.clipengine.weights.torch.TorchGlobals.TensorRef;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A PyTorch zip checkpoint read as named tensors: a {@code torch.save} file (a pickled state dict,
 * {@code .pt}/{@code .pth}/{@code pytorch_model.bin}; also a training checkpoint whose
 * {@code state_dict}/{@code model} entry is one) or a TorchScript archive ({@code torch.jit.save},
 * the form of OpenAI's {@code ViT-B-16.pt}), whose module graph is walked to the names
 * {@code state_dict()} gives.
 *
 * <p>Layout: {@code <root>/data.pkl} (the restricted {@link Unpickler} with the {@link TorchGlobals}
 * whitelist), the storages {@code <root>/data/<key>} named by persistent ids, for TorchScript
 * {@code <root>/code/...} (read for the classes' {@code __parameters__}/{@code __buffers__}).
 * Tensors keep the storage dtype (F16 stays F16; widening to F32 is exact and happens in the
 * writer or the kernels). A contiguous view of a stored entry is a zero-copy slice of the mapped
 * file; a strided or deflated one is copied, once, into an arena owned by this object.
 *
 * <p>Every storage used is checked: its entry exists, holds exactly the bytes the persistent id
 * declares, and its CRC-32 matches (so a bit flip in weights is reported, not computed with).
 */
public final class TorchFile implements AutoCloseable {

    public static final String KIND_TORCH_SAVE = "PyTorch torch.save zip";
    public static final String KIND_TORCHSCRIPT = "TorchScript archive";
    /** The name {@link #tensors()} gives the tensor of a file that pickles one bare tensor ({@code torch.save(t)}). */
    public static final String SINGLE_TENSOR = "";

    private final Path path;
    private final ZipArchive zip;
    private final Arena arena;
    private final String kind;
    private final Map<String, Tensor> tensors;
    private final Map<String, Object> meta;

    private TorchFile(Path path, ZipArchive zip, Arena arena, String kind, Map<String, Tensor> tensors,
                      Map<String, Object> meta) {
        this.path = path;
        this.zip = zip;
        this.arena = arena;
        this.kind = kind;
        this.tensors = tensors;
        this.meta = meta;
    }

    public static TorchFile open(Path path) throws IOException {
        return open(path, TorchLimits.DEFAULT);
    }

    public static TorchFile open(Path path, TorchLimits limits) throws IOException {
        ZipArchive zip = ZipArchive.open(path, limits);
        Arena arena = Arena.ofShared();
        try {
            return read(path, zip, arena, limits);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            arena.close();
            zip.close();
            if (e instanceof StackOverflowError) throw new WeightsFormatException(path, "structure nested too deeply");
            throw e;
        }
    }

    private static TorchFile read(Path path, ZipArchive zip, Arena arena, TorchLimits limits) throws IOException {
        String root = findRoot(path, zip);
        ZipArchive.Entry byteorder = zip.entry(root + "byteorder");
        if (byteorder != null) {
            String order = new String(zip.readBytes(byteorder, 16), StandardCharsets.US_ASCII).strip();
            if (!order.equals("little")) throw new WeightsFormatException(path, "storages are " + order + "-endian; only little-endian is supported");
        }
        ZipArchive.Entry pkl = zip.entry(root + "data.pkl");
        byte[] pickle = zip.readBytes(pkl, limits.maxPickleBytes());
        TorchGlobals globals = new TorchGlobals(limits);
        Object top;
        try {
            top = Unpickler.load(pickle, globals, limits);
        } catch (PickleException e) {
            throw new WeightsFormatException(path, root + "data.pkl " + e.getMessage());
        }

        String kind;
        Map<String, TensorRef> refs;
        Map<String, Object> meta = Map.of();
        if (top instanceof PyObject module) {
            kind = KIND_TORCHSCRIPT;
            refs = new ScriptModuleWalker(path, zip, root, limits, globals.objectCount()).stateDict(module);
        } else if (top instanceof Map<?, ?> m) {
            kind = KIND_TORCH_SAVE;
            refs = stateDict(path, m);
            meta = plainEntries(m.get("meta"));
        } else if (top instanceof TensorRef t) {
            // torch.save(tensor): one tensor, e.g. the zero-shot text weights ReCLIP++ users supply
            kind = KIND_TORCH_SAVE;
            refs = Map.of(SINGLE_TENSOR, t);
        } else {
            throw new WeightsFormatException(path, root + "data.pkl holds a " + PyValues.typeName(top)
                    + ", not a state dict or a TorchScript module");
        }
        return new TorchFile(path, zip, arena, kind, materialise(path, zip, root, arena, refs, limits), meta);
    }

    /**
     * The string-keyed entries of an mmcv checkpoint's {@code meta} dict (the config text, {@code CLASSES}, ...), as the
     * unpickler made them (strings, numbers, lists, tuples); empty when there is none. Nothing in it is a tensor that
     * gets loaded: the optimizer state beside it is never materialised either.
     */
    private static Map<String, Object> plainEntries(Object meta) {
        if (!(meta instanceof Map<?, ?> m)) return Map.of();
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (e.getKey() instanceof String k && !(e.getValue() instanceof TensorRef) && e.getValue() != null) out.put(k, e.getValue());
        }
        return Collections.unmodifiableMap(out);
    }

    /** The common folder of the entries, e.g. {@code "ViT-B-16/"}: the one holding {@code data.pkl}. */
    private static String findRoot(Path path, ZipArchive zip) throws WeightsFormatException {
        String root = null;
        for (String n : zip.entries().keySet()) {
            int slash = n.indexOf('/');
            if (slash > 0 && n.substring(slash + 1).equals("data.pkl")) {
                if (root != null) throw new WeightsFormatException(path, "zip holds more than one data.pkl ('" + root + "data.pkl', '" + n + "')");
                root = n.substring(0, slash + 1);
            }
        }
        if (root == null) {
            throw new WeightsFormatException(path, "zip archive without a <name>/data.pkl entry: not a PyTorch checkpoint");
        }
        return root;
    }

    /**
     * A {@code torch.save}d dict: its tensor values by key. A training checkpoint holds the weights
     * one level down ({@code state_dict}, {@code model}, {@code module}, {@code model_state_dict}).
     */
    private static Map<String, TensorRef> stateDict(Path path, Map<?, ?> m) throws WeightsFormatException {
        Map<String, TensorRef> out = tensorsOf(m);
        if (!out.isEmpty()) return out;
        for (String k : List.of("state_dict", "model", "module", "model_state_dict", "ema_state_dict")) {
            if (m.get(k) instanceof Map<?, ?> inner) {
                out = tensorsOf(inner);
                if (!out.isEmpty()) return out;
            }
        }
        throw new WeightsFormatException(path, "the pickled dict holds no tensors (keys: "
                + String.join(", ", m.keySet().stream().limit(8).map(String::valueOf).toList()) + ")");
    }

    private static Map<String, TensorRef> tensorsOf(Map<?, ?> m) {
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (e.getKey() instanceof String k && e.getValue() instanceof TensorRef t) out.put(k, t);
        }
        return out;
    }

    private static Map<String, Tensor> materialise(Path path, ZipArchive zip, String root, Arena arena,
                                                   Map<String, TensorRef> refs, TorchLimits limits) throws IOException {
        Map<String, MemorySegment> storageData = new HashMap<>();
        long[] inflated = {0};
        // strided views are copied; together at most twice the storage bytes the file holds (a
        // transposed weight costs its own size once; a view cannot buy more memory than the file)
        long[] copyBudget = {2 * zip.fileSize()};
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
            TensorRef t = e.getValue();
            StorageRef s = t.storage();
            MemorySegment data = storageData.get(s.key());
            if (data == null) {
                data = storage(path, zip, root, arena, s, limits, inflated);
                storageData.put(s.key(), data);
                if (!data.isMapped()) copyBudget[0] += 2 * data.byteSize(); // inflated: bytes the file holds too
            }
            try {
                out.put(e.getKey(), StridedView.tensor(e.getKey(), t, data, arena, copyBudget));
            } catch (StridedView.ViewException ex) {
                throw new WeightsFormatException(path, ex.getMessage());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private static MemorySegment storage(Path path, ZipArchive zip, String root, Arena arena, StorageRef s,
                                         TorchLimits limits, long[] inflated) throws WeightsFormatException {
        String name = root + "data/" + s.key();
        ZipArchive.Entry e = zip.entry(name);
        if (e == null) throw new WeightsFormatException(path, "storage '" + s.key() + "' has no entry " + name);
        if (e.size() != s.bytes()) {
            throw new WeightsFormatException(path, "entry " + name + " holds " + e.size() + " bytes but the pickle declares "
                    + s.numel() + " " + s.dtype() + " elements (" + s.bytes() + " bytes)");
        }
        if (e.stored()) {
            zip.checkStoredCrc(e);
            return zip.storedData(e);
        }
        if (e.size() > limits.maxInflatedBytes() - inflated[0]) {
            throw new WeightsFormatException(path, "deflated storages need more than the " + limits.maxInflatedBytes()
                    + "-byte limit for inflating (entry " + name + ", " + e.size() + " bytes)");
        }
        inflated[0] += e.size();
        return zip.inflate(e, arena);
    }

    public Path path() {
        return path;
    }

    /** {@link #KIND_TORCH_SAVE} or {@link #KIND_TORCHSCRIPT}. */
    public String kind() {
        return kind;
    }

    /** The tensors by state-dict name, in the file's order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /**
     * The {@code meta} entry of an mmcv/mmseg checkpoint ({@code {'meta', 'state_dict', 'optimizer'}}), e.g. its
     * {@code config} text; empty for a plain state dict or a TorchScript archive.
     */
    public Map<String, Object> meta() {
        return meta;
    }

    /** Unmaps the file and frees copies; tensors must not be used afterwards. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
        zip.close();
    }
}
