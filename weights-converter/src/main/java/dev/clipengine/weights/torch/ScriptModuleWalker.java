package dev.clipengine.weights.torch;

import dev.clipengine.weights.WeightsFormatException;
import dev.clipengine.weights.torch.PyValues.PyObject;
import dev.clipengine.weights.torch.TorchGlobals.TensorRef;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Walks a TorchScript module graph (the {@link PyObject}s of {@code data.pkl}) to the names
 * {@code module.state_dict()} would give: for each module its parameters, then its buffers, then
 * each submodule under {@code name.} (a {@code ModuleList}/{@code Sequential}'s children are
 * {@code 0}, {@code 1}, ...). Which tensor attributes are parameters or buffers is declared in the
 * class's compiled source ({@code code/__torch__/<module path>.py}: {@code __parameters__ = [...]},
 * {@code __buffers__ = [...]}); a tensor attribute that is neither (OpenAI's {@code attn_mask}) is
 * not in a state dict and is skipped. When the source of a class is missing or does not say, every
 * tensor attribute is taken, in attribute order.
 *
 * <p>The walk is bounded in depth, refuses cycles, and is bounded in work by the pickle itself: a
 * module shared by several parents is walked once per path (as {@code state_dict()} does), so a
 * graph whose children are shared could ask for 2<sup>depth</sup> visits; visits are limited to a
 * small multiple of the modules the pickle created, and state-dict names to
 * {@value #MAX_NAME} characters. Each source file is read and indexed once (class name to declared
 * names), so a visit costs a map look-up, never a scan of the source.
 */
final class ScriptModuleWalker {

    /** Longest state-dict name accepted (CLIP's longest are under 60 characters). */
    static final int MAX_NAME = 1024;
    /** Visits allowed per module the pickle created (sharing within this factor is still accepted). */
    static final int VISITS_PER_MODULE = 4;
    /** Total source read for parameter names, over all modules. */
    static final long MAX_TOTAL_CODE_BYTES = 64L << 20;

    private static final Pattern LIST = Pattern.compile("\\[([^\\]]*)\\]");
    private static final Pattern NAME = Pattern.compile("\"([^\"]*)\"");
    private static final Pattern CLASS = Pattern.compile("(?m)^class ([A-Za-z_][A-Za-z0-9_]*)\\(");

    private final Path path;
    private final ZipArchive zip;
    private final String root;
    private final TorchLimits limits;
    private final long maxVisits;
    private final int modules;
    /** By module path: class name to its declared parameter and buffer names (null: not declared). */
    private final Map<String, Map<String, List<String>>> sources = new HashMap<>();
    private final Set<PyObject> onPath = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<String, TensorRef> out = new LinkedHashMap<>();
    private long visited;
    private long codeBytes;

    ScriptModuleWalker(Path path, ZipArchive zip, String root, TorchLimits limits, int modules) {
        this.path = path;
        this.zip = zip;
        this.root = root;
        this.limits = limits;
        this.modules = modules;
        this.maxVisits = Math.min(limits.maxTensors(), VISITS_PER_MODULE * (long) modules + 64);
    }

    Map<String, TensorRef> stateDict(PyObject top) throws WeightsFormatException {
        walk(top, "", 0);
        if (out.isEmpty()) throw new WeightsFormatException(path, "TorchScript module " + top.className + " holds no tensors");
        return out;
    }

    private void walk(PyObject m, String prefix, int depth) throws WeightsFormatException {
        if (depth > limits.maxDepth()) throw new WeightsFormatException(path, "TorchScript modules nested deeper than " + limits.maxDepth());
        if (!onPath.add(m)) throw new WeightsFormatException(path, "TorchScript module graph has a cycle at '" + clip(prefix) + "'");
        if (++visited > maxVisits) {
            throw new WeightsFormatException(path, "TorchScript module graph needs more than " + maxVisits
                    + " visits for its " + modules + " modules (submodules shared by many parents)");
        }
        if (prefix.length() > MAX_NAME) {
            throw new WeightsFormatException(path, "TorchScript state-dict name longer than " + MAX_NAME + " characters ('"
                    + clip(prefix) + "')");
        }
        Map<Object, Object> attrs = m.attributes();
        List<String> declared = declaredTensors(m.className);
        List<String> names = declared != null ? declared : new ArrayList<>();
        if (declared == null) {
            for (Map.Entry<Object, Object> a : attrs.entrySet()) {
                if (a.getKey() instanceof String n && a.getValue() instanceof TensorRef) names.add(n);
            }
        }
        for (String n : names) {
            if (attrs.get(n) instanceof TensorRef t) {
                if (out.size() >= limits.maxTensors()) throw new WeightsFormatException(path, "more than " + limits.maxTensors() + " tensors");
                out.put(prefix + n, t);
            }
        }
        for (Map.Entry<Object, Object> a : attrs.entrySet()) {
            if (a.getKey() instanceof String n && a.getValue() instanceof PyObject child) walk(child, prefix + n + ".", depth + 1);
        }
        onPath.remove(m);
    }

    /**
     * The parameter and buffer names of {@code __torch__.a.b.C}, from {@code code/__torch__/a/b.py}'s
     * {@code class C(...):} block; null when the source is not there or does not declare them.
     */
    List<String> declaredTensors(String className) throws WeightsFormatException {
        int dot = className.lastIndexOf('.');
        if (dot < 0) return null;
        Map<String, List<String>> classes = classes(className.substring(0, dot));
        return classes.get(className.substring(dot + 1));
    }

    /** The classes of one module's source, each with its declared names (absent or null when not declared). */
    private Map<String, List<String>> classes(String module) throws WeightsFormatException {
        Map<String, List<String>> known = sources.get(module);
        if (known != null) return known;
        Map<String, List<String>> classes = new HashMap<>();
        String source = source(module);
        if (source != null) {
            Matcher cls = CLASS.matcher(source);
            List<int[]> starts = new ArrayList<>();
            List<String> names = new ArrayList<>();
            while (cls.find()) {
                starts.add(new int[] {cls.start(), cls.end()});
                names.add(cls.group(1));
            }
            for (int i = 0; i < starts.size(); i++) {
                int end = i + 1 < starts.size() ? starts.get(i + 1)[0] : source.length();
                String body = source.substring(starts.get(i)[1], end);
                if (!classes.containsKey(names.get(i))) classes.put(names.get(i), declared(body));
            }
        }
        sources.put(module, classes);
        return classes;
    }

    private static List<String> declared(String body) {
        List<String> params = names(body, "__parameters__");
        List<String> buffers = names(body, "__buffers__");
        if (params == null || buffers == null) return null;
        List<String> all = new ArrayList<>(params);
        all.addAll(buffers);
        return all;
    }

    private static List<String> names(String body, String field) {
        int at = body.indexOf(field + " = ");
        if (at < 0) return null;
        int eol = body.indexOf('\n', at);
        Matcher l = LIST.matcher(body.substring(at, eol < 0 ? body.length() : eol));
        if (!l.find()) return null;
        List<String> names = new ArrayList<>();
        Matcher n = NAME.matcher(l.group(1));
        while (n.find()) names.add(n.group(1));
        return names;
    }

    private String source(String module) throws WeightsFormatException {
        String entry = root + "code/" + module.replace('.', '/') + ".py";
        ZipArchive.Entry e = zip.entry(entry);
        if (e == null || e.size() > limits.maxCodeBytes()) return null;
        if (e.size() > MAX_TOTAL_CODE_BYTES - codeBytes) {
            throw new WeightsFormatException(path, "TorchScript code files add up to more than " + MAX_TOTAL_CODE_BYTES
                    + " bytes (at " + entry + ")");
        }
        codeBytes += e.size();
        return new String(zip.readBytes(e, limits.maxCodeBytes()), StandardCharsets.UTF_8);
    }

    private static String clip(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
