package dev.clipengine.weights.torch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The Python values the restricted unpickler builds. Plain data maps onto Java: {@code None} →
 * {@code null}, bool → {@link Boolean}, int → {@link Long} (or {@link java.math.BigInteger} past 64
 * bits), float → {@link Double}, str → {@link String}, list → {@link java.util.ArrayList}, dict →
 * {@link java.util.LinkedHashMap}; the types below cover the rest. Nothing here runs code: a
 * "class" is only a name the whitelist recognised.
 */
public final class PyValues {

    private PyValues() {
    }

    /** An immutable tuple (may hold nulls). */
    public record PyTuple(List<Object> items) {
        public PyTuple {
            items = Collections.unmodifiableList(new ArrayList<>(items));
        }

        public int size() {
            return items.size();
        }

        public Object get(int i) {
            return items.get(i);
        }

        @Override
        public String toString() {
            return "tuple of " + items.size();
        }
    }

    /** bytes / bytearray. */
    public record PyBytes(byte[] bytes) {
        @Override
        public String toString() {
            return "bytes of " + bytes.length;
        }
    }

    /** set / frozenset, kept as a list (elements are never hashed, so no cyclic hashing). */
    public record PySet(List<Object> items) {
        @Override
        public String toString() {
            return "set of " + items.size();
        }
    }

    /**
     * An object of a TorchScript class ({@code __torch__.*}), created without running anything:
     * its class name and the state given by BUILD (for modules: a dict of attributes).
     */
    public static final class PyObject {
        public final String className;
        public Object state;

        PyObject(String className) {
            this.className = className;
        }

        /** The attributes when the state is a dict with string keys, else an empty map. */
        @SuppressWarnings("unchecked")
        public Map<Object, Object> attributes() {
            return state instanceof Map<?, ?> m ? (Map<Object, Object>) m : Map.of();
        }

        @Override
        public String toString() {
            return "object of " + className;
        }
    }

    /**
     * The elements a value holds at its top level (items, entries, bytes, characters; 1 for a
     * scalar or an object): what building, copying or iterating it once costs, for {@link WorkBudget}.
     */
    public static long sizeOf(Object v) {
        if (v instanceof List<?> l) return Math.max(1, l.size());
        if (v instanceof Map<?, ?> m) return Math.max(1, m.size());
        if (v instanceof PyTuple t) return Math.max(1, t.size());
        if (v instanceof PySet s) return Math.max(1, s.items().size());
        if (v instanceof PyBytes b) return Math.max(1, b.bytes().length);
        if (v instanceof String s) return Math.max(1, s.length());
        return 1;
    }

    /** A short description of a value's type for error messages (never recursive, never huge). */
    public static String typeName(Object v) {
        if (v == null) return "None";
        if (v instanceof Boolean) return "bool";
        if (v instanceof Long || v instanceof java.math.BigInteger) return "int";
        if (v instanceof Double) return "float";
        if (v instanceof String) return "str";
        if (v instanceof List<?>) return "list";
        if (v instanceof Map<?, ?>) return "dict";
        if (v instanceof PyTuple) return "tuple";
        if (v instanceof PyBytes) return "bytes";
        if (v instanceof PySet) return "set";
        if (v instanceof PyObject o) return o.className;
        if (v instanceof TorchGlobals.Callable c) return c.toString();
        return v.getClass().getSimpleName();
    }
}
