package dev.clipengine.cli;

import dev.clipengine.weights.Json;

/** Small formatting helpers for the human-readable (non-JSON) output. */
final class Output {

    private Output() {
    }

    /** The ids up to and including the last non-zero one. */
    static String ids(int[] ids) {
        int end = ids.length;
        while (end > 0 && ids[end - 1] == 0) end--;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < end; i++) b.append(i == 0 ? "" : " ").append(ids[i]);
        if (end < ids.length) b.append(" (+").append(ids.length - end).append(" padding)");
        return b.toString();
    }

    /** The first few values and the L2 norm of a vector. */
    static String preview(float[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < Math.min(6, v.length); i++) b.append(i == 0 ? "" : ", ").append(Json.floatLiteral(v[i]));
        if (v.length > 6) b.append(", …");
        double norm = 0;
        for (float f : v) norm += (double) f * f;
        return b.append("]  |v| = ").append((float) Math.sqrt(norm)).toString();
    }
}
