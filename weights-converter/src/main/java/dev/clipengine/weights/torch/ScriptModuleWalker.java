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
 * tensor attribute is taken, in attribute order. The walk is bounded in depth and refuses cycles.
 */
final class ScriptModuleWalker {

    private static final Pattern LIST = Pattern.compile("\\[([^\\]]*)\\]");
    private static final Pattern NAME = Pattern.compile("\"([^\"]*)\"");

    private final Path path;
    private final ZipArchive zip;
    private final String root;
    private final TorchLimits limits;
    private final Map<String, String> sources = new HashMap<>();
    private final Set<PyObject> onPath = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<String, TensorRef> out = new LinkedHashMap<>();
    private int visited;

    ScriptModuleWalker(Path path, ZipArchive zip, String root, TorchLimits limits) {
        this.path = path;
        this.zip = zip;
        this.root = root;
        this.limits = limits;
    }

    Map<String, TensorRef> stateDict(PyObject top) throws WeightsFormatException {
        walk(top, "", 0);
        if (out.isEmpty()) throw new WeightsFormatException(path, "TorchScript module " + top.className + " holds no tensors");
        return out;
    }

    private void walk(PyObject m, String prefix, int depth) throws WeightsFormatException {
        if (depth > limits.maxDepth()) throw new WeightsFormatException(path, "TorchScript modules nested deeper than " + limits.maxDepth());
        if (!onPath.add(m)) throw new WeightsFormatException(path, "TorchScript module graph has a cycle at '" + prefix + "'");
        if (++visited > limits.maxTensors()) throw new WeightsFormatException(path, "TorchScript module graph is too large");
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
        String source = source(className.substring(0, dot));
        if (source == null) return null;
        Matcher cls = Pattern.compile("(?m)^class " + Pattern.quote(className.substring(dot + 1)) + "\\(").matcher(source);
        if (!cls.find()) return null;
        int end = source.indexOf("\nclass ", cls.end());
        String body = source.substring(cls.end(), end < 0 ? source.length() : end);
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
        if (sources.containsKey(module)) return sources.get(module);
        String entry = root + "code/" + module.replace('.', '/') + ".py";
        ZipArchive.Entry e = zip.entry(entry);
        String text = null;
        if (e != null && e.size() <= limits.maxCodeBytes()) {
            text = new String(zip.readBytes(e, limits.maxCodeBytes()), StandardCharsets.UTF_8);
        }
        sources.put(module, text);
        return text;
    }
}
