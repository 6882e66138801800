package dev.clipengine.heads;

import dev.clipengine.image.RgbImage;
import dev.clipengine.kernels.Backend;
import dev.clipengine.segment.SeedMethodOptions;
import dev.clipengine.segment.SegmentResult;
import dev.clipengine.segment.Vocabulary;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Opens a seed head as a {@link SeedHeadMethod}, and what its two implementations share. */
public final class SeedHeads {

    private SeedHeads() {
    }

    /** Loads {@code o.checkpoint()} as the head {@code o.name()} names; a checkpoint of the other family is refused. */
    public static SeedHeadMethod open(SeedMethodOptions o, Backend backend) throws IOException {
        if (o.reclip()) {
            return new ReclipMethod(o, ReclipHead.load(o.checkpoint(), backend, new ReclipHead.Heads(o.visionHeads(), o.textHeads())));
        }
        ZegclipHead head = ZegclipHead.load(o.checkpoint(), backend, o.visionHeads(), 0);
        try {
            String family = head.family().name().toLowerCase(java.util.Locale.ROOT);
            if (!family.equals(o.name())) {
                throw new IllegalArgumentException(head.path().getFileName() + " is a " + family + " checkpoint; run it with --method " + family);
            }
            return new ZegclipMethod(o, head);
        } catch (RuntimeException e) {
            head.close();
            throw e;
        }
    }

    /** A checkpoint's classes are its text rows, one name each. */
    static List<String> classes(Vocabulary vocabulary, String method) {
        if (vocabulary.hasSynonyms() || vocabulary.hasBackground()) {
            throw new IllegalArgumentException("--method " + method + ": a checkpoint's classes are one name each (its text rows), "
                    + "no '|' synonyms or background words");
        }
        return vocabulary.classes();
    }

    static float[][] rows(float[] flat, int rows, int cols) {
        float[][] out = new float[rows][];
        for (int r = 0; r < rows; r++) out[r] = java.util.Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
        return out;
    }

    static float[] flat(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] out = new float[rows.length * cols];
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, out, r * cols, cols);
        return out;
    }

    static SegmentResult result(RgbImage image, Vocabulary vocabulary, int[] labels, long startNanos, Map<String, Object> details) {
        Map<String, Double> t = new LinkedHashMap<>();
        t.put("total", Math.round((System.nanoTime() - startNanos) / 1e4) / 100.0);
        return new SegmentResult(vocabulary, image, labels, t, details, null);
    }

    /** {@code 0-14,17} as a mask over {@code classes}; "none" = no class, "all" = every class; out of range is refused. */
    public static boolean[] parseSeen(String spec, int classes) {
        boolean[] seen = new boolean[classes];
        if (spec.strip().equalsIgnoreCase("none")) return seen;
        if (spec.strip().equalsIgnoreCase("all")) {
            java.util.Arrays.fill(seen, true);
            return seen;
        }
        List<String> bad = new java.util.ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) continue;
            try {
                int dash = p.indexOf('-', 1);
                int a = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).strip());
                int b = dash < 0 ? a : Integer.parseInt(p.substring(dash + 1).strip());
                if (a < 0 || b < a || b >= classes) {
                    bad.add(p);
                    continue;
                }
                for (int i = a; i <= b; i++) seen[i] = true;
            } catch (NumberFormatException e) {
                bad.add(p);
            }
        }
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException("--seen-classes '" + spec + "': " + String.join(", ", bad)
                    + " is not an index range within 0-" + (classes - 1) + " (" + classes + " classes)");
        }
        return seen;
    }
}
