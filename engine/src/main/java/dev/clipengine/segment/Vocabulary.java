package dev.clipengine.segment;

import dev.clipengine.weights.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The class names a user segments with, plus optional background words that are scored like classes
 * but all collapse into one "background" label (spec cliptrase.md §3.1, §3.2).
 *
 * @param name       a label for reports ("VOC20", or "custom")
 * @param classes    the C class names, in label order (label i = classes[i])
 * @param background extra text rows whose argmax maps to label C; empty when there is none
 */
public record Vocabulary(String name, List<String> classes, List<String> background) {

    /** More names than this is a mistake rather than a vocabulary (ADE-full has 847). */
    public static final int MAX_NAMES = 20_000;

    public Vocabulary {
        classes = List.copyOf(classes);
        background = List.copyOf(background);
        if (classes.isEmpty()) throw new IllegalArgumentException("empty class list: give at least one class name");
        if (classes.size() + background.size() > MAX_NAMES) {
            throw new IllegalArgumentException("too many class names (" + (classes.size() + background.size()) + ", limit " + MAX_NAMES + ")");
        }
        for (String c : classes) {
            if (c.isBlank()) throw new IllegalArgumentException("empty class name in the class list");
        }
    }

    public boolean hasBackground() {
        return !background.isEmpty();
    }

    /** Labels a map can hold: C, plus one for background when there are background words. */
    public int labelCount() {
        return classes.size() + (hasBackground() ? 1 : 0);
    }

    /** Display name of label {@code i} ("background" for label C). */
    public String labelName(int i) {
        return i < classes.size() ? classes.get(i).strip() : "background";
    }

    /** All text rows in order: the classes, then the background words. */
    public List<String> textRows() {
        List<String> rows = new ArrayList<>(classes);
        rows.addAll(background);
        return rows;
    }

    /**
     * Parses {@code "road, car, sky"}: names separated by commas, surrounding space trimmed.
     * Duplicate names are refused, since two labels with the same text could never be told apart.
     */
    public static Vocabulary parse(String commaSeparated, String backgroundCommaSeparated) {
        List<String> classes = split(commaSeparated, "class");
        List<String> bg = backgroundCommaSeparated == null ? List.of() : backgroundWords(backgroundCommaSeparated);
        return new Vocabulary("custom", classes, bg);
    }

    /** Parses a comma-separated background word list (duplicates allowed: the reference's VOC21 list has one). */
    public static List<String> backgroundWords(String commaSeparated) {
        return split(commaSeparated, "background");
    }

    private static List<String> split(String s, String what) {
        List<String> out = new ArrayList<>();
        if (s == null || s.isBlank()) throw new IllegalArgumentException("empty " + what + " list");
        for (String part : s.split(",", -1)) {
            String name = part.strip();
            if (name.isEmpty()) throw new IllegalArgumentException("empty " + what + " name in \"" + s + "\"");
            if (what.equals("class") && out.contains(name)) throw new IllegalArgumentException("duplicate class name \"" + name + "\"");
            out.add(name);
        }
        return out;
    }

    /** The nine vocabularies of the CLIPtrase reference (`cliptrase-vocabularies.json`), by upper-case name. */
    public static Map<String, Vocabulary> bundled() {
        return Bundled.VOCABULARIES;
    }

    /** A bundled vocabulary by name, case-insensitively; a one-line error lists the names when unknown. */
    public static Vocabulary named(String name) {
        for (var e : bundled().entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) return e.getValue();
        }
        throw new IllegalArgumentException("unknown vocabulary '" + name + "' (bundled: " + String.join(", ", bundled().keySet()) + ")");
    }

    /** The 80 CLIP ImageNet prompt templates, in the reference order (each has one "{}"). */
    public static List<String> imageNetTemplates() {
        return Bundled.TEMPLATES;
    }

    /** A template file: one template per line containing "{}", blank lines and '#' comments skipped. */
    public static List<String> readTemplates(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.strip().startsWith("#")) continue;
            if (!line.contains("{}")) throw new IOException(file + ": template without \"{}\": " + line.strip());
            out.add(line.strip());
        }
        if (out.isEmpty()) throw new IOException(file + ": no templates");
        return out;
    }

    private static final class Bundled {
        static final Map<String, Vocabulary> VOCABULARIES;
        static final List<String> TEMPLATES;

        static {
            try (InputStream in = Vocabulary.class.getResourceAsStream("/dev/clipengine/data/cliptrase-vocabularies.json")) {
                if (in == null) throw new IllegalStateException("bundled vocabularies missing from the jar");
                Map<?, ?> root = (Map<?, ?>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                Map<String, Vocabulary> v = new LinkedHashMap<>();
                for (var e : ((Map<?, ?>) root.get("datasets")).entrySet()) {
                    Map<?, ?> d = (Map<?, ?>) e.getValue();
                    String key = ((String) e.getKey()).replace("_val", "").toUpperCase(Locale.ROOT);
                    v.put(key, new Vocabulary(key, strings(d.get("classes")),
                            d.containsKey("background") ? strings(d.get("background")) : List.of()));
                }
                VOCABULARIES = Collections.unmodifiableMap(v);
                TEMPLATES = strings(root.get("templates_imagenet80"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static List<String> strings(Object o) {
            return ((List<?>) o).stream().map(x -> (String) x).toList();
        }
    }
}
