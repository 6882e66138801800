package dev.clipengine.weights.torch;

import dev.clipengine.weights.DType;
import dev.clipengine.weights.torch.PyValues.PyBytes;
import dev.clipengine.weights.torch.PyValues.PyObject;
import dev.clipengine.weights.torch.PyValues.PyTuple;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The whitelist: what the globals in a PyTorch checkpoint mean, and nothing else. Allowed:
 * <ul>
 * <li>{@code torch._utils._rebuild_tensor_v2} and {@code _rebuild_tensor} (a tensor: a view of a
 *     storage), {@code _rebuild_parameter}, {@code _rebuild_parameter_with_state} (an
 *     {@code nn.Parameter}: its tensor);</li>
 * <li>the storage types {@code torch.FloatStorage}, {@code HalfStorage}, {@code BFloat16Storage},
 *     ... (only inside persistent ids) and the dtypes {@code torch.float16}, ...;</li>
 * <li>{@code collections.OrderedDict}, {@code torch.Size}, {@code _codecs.encode} (how protocol 2
 *     pickles bytes);</li>
 * <li>TorchScript's {@code torch.jit._pickle.build_*list} and {@code restore_type_tag}, and the
 *     classes of a TorchScript module graph ({@code __torch__.*}), which become inert
 *     {@link PyObject}s holding their attributes: they are read as data, their code never runs.</li>
 * </ul>
 * Any other global ({@code os.system}, {@code builtins.eval}, a Python model class of a whole-model
 * {@code torch.save(model)}) is refused at the GLOBAL opcode, by name. Tensors are checked as they
 * are built: rank, non-negative sizes and strides, no overflow, and every element they can address
 * inside the storage the persistent id declares.
 */
final class TorchGlobals implements Unpickler.Semantics {

    /** The functions the whitelist lets a pickle call. */
    enum Callable {
        ORDERED_DICT, REBUILD_TENSOR, REBUILD_TENSOR_V2, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE,
        JIT_BUILD_LIST, JIT_RESTORE_TYPE_TAG, TORCH_SIZE, CODECS_ENCODE
    }

    /** {@code torch.HalfStorage} etc.: a storage element type. */
    record StorageType(String name, DType dtype) {
    }

    /** {@code torch.float16} etc. */
    record DTypeValue(String name) {
    }

    /** A TorchScript class, {@code __torch__.<module>.<name>}. */
    record ScriptClass(String qualifiedName) {
    }

    /** A storage named by a persistent id: entry {@code data/<key>}, {@code numel} elements of {@code dtype}. */
    record StorageRef(String key, DType dtype, long numel, String location) {
        long bytes() {
            return numel * dtype.bytes;
        }
    }

    /** A tensor: a strided view of a storage (sizes and strides in elements). */
    record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {
        long elementCount() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    private static final Map<String, Callable> CALLABLES = Map.ofEntries(
            Map.entry("collections.OrderedDict", Callable.ORDERED_DICT),
            Map.entry("torch._utils._rebuild_tensor", Callable.REBUILD_TENSOR),
            Map.entry("torch._utils._rebuild_tensor_v2", Callable.REBUILD_TENSOR_V2),
            Map.entry("torch._utils._rebuild_parameter", Callable.REBUILD_PARAMETER),
            Map.entry("torch._utils._rebuild_parameter_with_state", Callable.REBUILD_PARAMETER_WITH_STATE),
            Map.entry("torch.jit._pickle.build_intlist", Callable.JIT_BUILD_LIST),
            Map.entry("torch.jit._pickle.build_doublelist", Callable.JIT_BUILD_LIST),
            Map.entry("torch.jit._pickle.build_boollist", Callable.JIT_BUILD_LIST),
            Map.entry("torch.jit._pickle.build_tensorlist", Callable.JIT_BUILD_LIST),
            Map.entry("torch.jit._pickle.build_stringlist", Callable.JIT_BUILD_LIST),
            Map.entry("torch.jit._pickle.restore_type_tag", Callable.JIT_RESTORE_TYPE_TAG),
            Map.entry("torch.Size", Callable.TORCH_SIZE),
            Map.entry("_codecs.encode", Callable.CODECS_ENCODE));

    private static final Map<String, DType> STORAGES = Map.ofEntries(
            Map.entry("FloatStorage", DType.F32), Map.entry("HalfStorage", DType.F16),
            Map.entry("BFloat16Storage", DType.BF16), Map.entry("DoubleStorage", DType.F64),
            Map.entry("LongStorage", DType.I64), Map.entry("IntStorage", DType.I32),
            Map.entry("ShortStorage", DType.I16), Map.entry("CharStorage", DType.I8),
            Map.entry("ByteStorage", DType.U8), Map.entry("BoolStorage", DType.BOOL));

    private static final java.util.Set<String> DTYPES = java.util.Set.of("float16", "half", "float32", "float",
            "bfloat16", "float64", "double", "int64", "long", "int32", "int", "int16", "short", "int8", "uint8", "bool");

    /** Storage keys are small names ("0", "17"): nothing that could walk out of {@code data/}. */
    private static final Pattern KEY = Pattern.compile("[0-9A-Za-z_]{1,64}");

    private final TorchLimits limits;
    private final Map<String, StorageRef> storages = new HashMap<>();
    private int tensors;
    private int objects;

    TorchGlobals(TorchLimits limits) {
        this.limits = limits;
    }

    /** TorchScript objects the pickle created (each module of a module graph is one). */
    int objectCount() {
        return objects;
    }

    /** Storages named by persistent ids so far, by key. */
    Map<String, StorageRef> storages() {
        return storages;
    }

    @Override
    public Object global(String module, String name) throws PickleException {
        String full = module + "." + name;
        Callable c = CALLABLES.get(full);
        if (c != null) return c;
        if (module.equals("torch") && STORAGES.containsKey(name)) return new StorageType(name, STORAGES.get(name));
        if (module.equals("torch") && DTYPES.contains(name)) return new DTypeValue(name);
        if (module.equals("__torch__") || module.startsWith("__torch__.")) return new ScriptClass(full);
        String hint = module.startsWith("torch.nn") || module.startsWith("__main__") || Character.isUpperCase(name.isEmpty() ? 'a' : name.charAt(0))
                ? " (a whole-model torch.save(model) pickles Python classes; save model.state_dict() instead)" : "";
        throw new PickleException("global '" + clip(full) + "' is not allowed: only the types torch checkpoints use "
                + "(tensor rebuild functions, storage types, OrderedDict, TorchScript modules) are" + hint);
    }

    @Override
    public Object reduce(Object fn, PyTuple args) throws PickleException {
        if (fn instanceof ScriptClass sc) return newObject(sc, args);
        if (!(fn instanceof Callable c)) throw new PickleException("cannot call a " + PyValues.typeName(fn));
        return switch (c) {
            case ORDERED_DICT -> orderedDict(args);
            case REBUILD_TENSOR -> tensor(args, 4, 4);
            case REBUILD_TENSOR_V2 -> tensor(args, 6, 7);
            case REBUILD_PARAMETER -> parameter(args, 3);
            case REBUILD_PARAMETER_WITH_STATE -> parameter(args, 4);
            case JIT_BUILD_LIST -> {
                arity(c, args, 1, 1);
                if (!(args.get(0) instanceof List<?>)) throw new PickleException(c + " of a " + PyValues.typeName(args.get(0)));
                yield args.get(0);
            }
            case JIT_RESTORE_TYPE_TAG -> {
                arity(c, args, 2, 2);
                yield args.get(0);
            }
            case TORCH_SIZE -> {
                arity(c, args, 0, 1);
                if (args.size() == 0) yield new PyTuple(List.of());
                if (!(args.get(0) instanceof PyTuple t)) throw new PickleException("torch.Size of a " + PyValues.typeName(args.get(0)));
                yield t;
            }
            case CODECS_ENCODE -> {
                arity(c, args, 2, 2);
                if (!(args.get(0) instanceof String s) || !(args.get(1) instanceof String enc)
                        || !(enc.equals("latin1") || enc.equals("latin-1"))) {
                    throw new PickleException("_codecs.encode is only allowed as (str, 'latin1')");
                }
                yield new PyBytes(s.getBytes(StandardCharsets.ISO_8859_1));
            }
        };
    }

    @Override
    public Object newObject(Object cls, PyTuple args) throws PickleException {
        if (cls instanceof ScriptClass sc) {
            if (args.size() != 0) throw new PickleException("TorchScript object " + clip(sc.qualifiedName()) + " built with arguments");
            objects++;
            return new PyObject(sc.qualifiedName());
        }
        if (cls == Callable.ORDERED_DICT) return orderedDict(args);
        throw new PickleException("cannot instantiate a " + PyValues.typeName(cls));
    }

    @Override
    public Object build(Object obj, Object state) throws PickleException {
        if (obj instanceof PyObject o) {
            if (o.state != null) throw new PickleException("object " + clip(o.className) + " built twice");
            o.state = state;
            return o;
        }
        // an OrderedDict's instance attributes (a state_dict's _metadata with per-module versions): not needed
        if (obj instanceof Map<?, ?>) return obj;
        // a tensor's Python attributes (rare): the data is what matters
        if (obj instanceof TensorRef) return obj;
        throw new PickleException("BUILD on a " + PyValues.typeName(obj));
    }

    @Override
    public Object persistentLoad(Object pid) throws PickleException {
        if (!(pid instanceof PyTuple t) || t.size() != 5 || !"storage".equals(t.get(0))) {
            throw new PickleException("persistent id is not a ('storage', type, key, location, numel) tuple");
        }
        if (!(t.get(1) instanceof StorageType type)) throw new PickleException("persistent id names no storage type");
        if (!(t.get(2) instanceof String key) || !KEY.matcher(key).matches()) {
            throw new PickleException("persistent id has a bad storage key");
        }
        if (!(t.get(3) instanceof String location)) throw new PickleException("persistent id has no location string");
        if (!(t.get(4) instanceof Long numel) || numel < 0) throw new PickleException("storage '" + key + "' has a bad element count");
        try {
            Math.multiplyExact(numel, (long) type.dtype().bytes);
        } catch (ArithmeticException e) {
            throw new PickleException("storage '" + key + "' declares " + numel + " elements, which overflows");
        }
        StorageRef known = storages.get(key);
        if (known != null) {
            if (known.dtype() != type.dtype() || known.numel() != numel) {
                throw new PickleException("storage '" + key + "' is declared twice with different types or sizes");
            }
            return known;
        }
        StorageRef s = new StorageRef(key, type.dtype(), numel, location);
        storages.put(key, s);
        return s;
    }

    // ---------------------------------------------------------------- helpers

    private static Map<Object, Object> orderedDict(PyTuple args) throws PickleException {
        Map<Object, Object> m = new LinkedHashMap<>();
        if (args.size() == 0) return m;
        if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
            for (Object p : pairs) {
                if (!(p instanceof PyTuple kv) || kv.size() != 2 || !(kv.get(0) instanceof String k)) {
                    throw new PickleException("OrderedDict items must be (str, value) pairs");
                }
                m.put(k, kv.get(1));
            }
            return m;
        }
        throw new PickleException("OrderedDict called with unsupported arguments");
    }

    private static void arity(Callable c, PyTuple args, int min, int max) throws PickleException {
        if (args.size() < min || args.size() > max) {
            throw new PickleException(c.name().toLowerCase(java.util.Locale.ROOT) + " with " + args.size() + " arguments");
        }
    }

    private Object parameter(PyTuple args, int n) throws PickleException {
        arity(Callable.REBUILD_PARAMETER, args, n, n);
        if (!(args.get(0) instanceof TensorRef t)) throw new PickleException("parameter of a " + PyValues.typeName(args.get(0)));
        return t;
    }

    private TensorRef tensor(PyTuple args, int min, int max) throws PickleException {
        arity(Callable.REBUILD_TENSOR_V2, args, min, max);
        if (!(args.get(0) instanceof StorageRef s)) throw new PickleException("tensor of a " + PyValues.typeName(args.get(0)) + ", not a storage");
        if (!(args.get(1) instanceof Long offset) || offset < 0) throw new PickleException("tensor with a bad storage offset");
        long[] shape = longs(args.get(2), "size");
        long[] stride = longs(args.get(3), "stride");
        if (shape.length != stride.length) {
            throw new PickleException("tensor with " + shape.length + " sizes but " + stride.length + " strides");
        }
        if (shape.length > limits.maxRank()) throw new PickleException("tensor of rank " + shape.length + " (limit " + limits.maxRank() + ")");
        if (++tensors > limits.maxTensors()) throw new PickleException("more than " + limits.maxTensors() + " tensors");
        try {
            long count = 1, last = offset;
            for (int i = 0; i < shape.length; i++) {
                count = Math.multiplyExact(count, shape[i]);
                if (shape[i] > 0) last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
            }
            boolean inside = count == 0 ? offset <= s.numel() : last < s.numel();
            if (!inside) {
                throw new PickleException("tensor " + Arrays.toString(shape) + " with strides " + Arrays.toString(stride)
                        + " at offset " + offset + " reaches past storage '" + s.key() + "' of " + s.numel() + " elements");
            }
            Math.multiplyExact(count, (long) s.dtype().bytes);
        } catch (ArithmeticException e) {
            throw new PickleException("tensor size " + Arrays.toString(shape) + " overflows");
        }
        return new TensorRef(s, offset, shape, stride);
    }

    private static long[] longs(Object o, String what) throws PickleException {
        // the size is checked before anything is copied: the list may be a memoised one of millions
        int n = o instanceof PyTuple t ? t.size() : o instanceof List<?> l ? l.size() : -1;
        if (n < 0) throw new PickleException("tensor " + what + " is a " + PyValues.typeName(o) + ", not a tuple");
        if (n > 64) throw new PickleException("tensor " + what + " has " + n + " dimensions");
        List<?> items = o instanceof PyTuple t ? t.items() : (List<?>) o;
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Long v) || v < 0) throw new PickleException("tensor " + what + " holds a negative or non-integer value");
            out[i] = v;
        }
        return out;
    }

    private static String clip(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
