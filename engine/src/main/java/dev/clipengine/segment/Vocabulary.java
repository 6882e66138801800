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
 * What every method segments with (docs/pipeline.md "Vocabulary"): C classes, each one or more names (the first is
 * its display name, the others synonyms), plus optional background words. Every name and every background word is
 * one text row; a class scores the best of its names, and the background words all map to one extra label C,
 * "background".
 *
 * <p>The one syntax, for every method: on the command line {@code --classes "road, car|automobile, sky"} (classes
 * separated by commas, a class's synonyms by {@code |}); in a file ({@code --classes-file}, and the bundled name
 * files) one class per line, its synonyms separated by commas.
 *
 * @param name       a label for reports ("VOC20", "voc21", "custom", a file name)
 * @param names      per class, its names in order (label i = class i)
 * @param background extra text rows whose argmax maps to label C; empty when there is none
 */
public record Vocabulary(String name, List<List<String>> names, List<String> background) {

    /** More names than this is a mistake rather than a vocabulary (ADE-full has 847). */
    public static final int MAX_NAMES = 20_000;

    public Vocabulary {
        List<List<String>> copy = new ArrayList<>();
        for (List<String> c : names) copy.add(List.copyOf(c));
        names = List.copyOf(copy);
        background = List.copyOf(background);
        if (names.isEmpty()) throw new IllegalArgumentException("empty class list: give at least one class name");
        int rows = background.size();
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).isEmpty()) throw new IllegalArgumentException("class " + i + " has no name");
            for (String n : names.get(i)) {
                if (n.isBlank()) throw new IllegalArgumentException("empty class name in the class list");
            }
            rows += names.get(i).size();
        }
        if (rows > MAX_NAMES) throw new IllegalArgumentException("too many class names (" + rows + ", limit " + MAX_NAMES + ")");
    }

    /** One name per class (no synonyms). */
    public static Vocabulary of(String name, List<String> classes, List<String> background) {
        return new Vocabulary(name, classes.stream().map(List::of).toList(), background);
    }

    /** The same classes with other background words. */
    public Vocabulary withBackground(List<String> words) {
        return new Vocabulary(name, names, words);
    }

    /** The display names, one per class (each class's first name). */
    public List<String> classes() {
        return names.stream().map(List::getFirst).toList();
    }

    public int classCount() {
        return names.size();
    }

    public boolean hasBackground() {
        return !background.isEmpty();
    }

    /** Whether some class has more than one name. */
    public boolean hasSynonyms() {
        return names.stream().anyMatch(n -> n.size() > 1);
    }

    /** Labels a map can hold: C, plus one for background when there are background words. */
    public int labelCount() {
        return names.size() + (hasBackground() ? 1 : 0);
    }

    /** Display name of label {@code i} ("background" for label C). */
    public String labelName(int i) {
        return i < names.size() ? names.get(i).getFirst().strip() : "background";
    }

    /** All text rows in order: every class's names, class by class, then the background words. */
    public List<String> textRows() {
        List<String> rows = new ArrayList<>();
        for (List<String> c : names) rows.addAll(c);
        rows.addAll(background);
        return rows;
    }

    /** The label of each text row: its class, or C for a background word. */
    public int[] rowLabels() {
        int[] out = new int[textRows().size()];
        int j = 0;
        for (int i = 0; i < names.size(); i++) {
            for (int k = 0; k < names.get(i).size(); k++) out[j++] = i;
        }
        while (j < out.length) out[j++] = names.size();
        return out;
    }

    /**
     * Row scores {@code [textRows × n]} reduced to one row per class by the maximum over its names, background rows
     * kept as they are: {@code [C + background × n]}. Without synonyms the same array comes back.
     */
    public float[] maxOverSynonyms(float[] rowScores, int n) {
        if (!hasSynonyms()) return rowScores;
        int classes = names.size();
        float[] out = new float[(classes + background.size()) * n];
        int row = 0;
        for (int c = 0; c < classes; c++) {
            System.arraycopy(rowScores, row * n, out, c * n, n);
            row++;
            for (int k = 1; k < names.get(c).size(); k++, row++) {
                for (int p = 0; p < n; p++) out[c * n + p] = Math.max(out[c * n + p], rowScores[row * n + p]);
            }
        }
        System.arraycopy(rowScores, row * n, out, classes * n, background.size() * n);
        return out;
    }

    /**
     * Parses the command-line syntax {@code "road, car|automobile, sky"}: classes separated by commas, a class's
     * synonyms by {@code |}, surrounding space trimmed. A display name given twice is refused, since two labels with
     * the same text could never be told apart.
     */
    public static Vocabulary parse(String classes, String backgroundCommaSeparated) {
        List<List<String>> out = new ArrayList<>();
        for (String cls : split(classes, ",", "class")) out.add(split(cls, "\\|", "class"));
        checkDistinct(out, "\"" + classes + "\"");
        List<String> bg = backgroundCommaSeparated == null ? List.of() : backgroundWords(backgroundCommaSeparated);
        return new Vocabulary("custom", out, bg);
    }

    /** Parses a comma-separated background word list (duplicates allowed: the reference's VOC21 list has one). */
    public static List<String> backgroundWords(String commaSeparated) {
        return split(commaSeparated, ",", "background");
    }

    /**
     * Parses the file syntax: one class per line, its synonyms separated by commas, surrounding space trimmed; blank
     * lines and lines starting with {@code #} are skipped.
     */
    public static Vocabulary parseFile(String name, String text) {
        List<List<String>> classes = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            List<String> syn = new ArrayList<>();
            for (String part : line.split(",", -1)) {
                if (part.isBlank()) throw new IllegalArgumentException(name + ": empty name on line " + (i + 1));
                syn.add(part.strip());
            }
            classes.add(syn);
        }
        if (classes.isEmpty()) throw new IllegalArgumentException(name + ": no class names");
        checkDistinct(classes, name);
        return new Vocabulary(name, classes, List.of());
    }

    public static Vocabulary read(Path file) throws IOException {
        return parseFile(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    private static void checkDistinct(List<List<String>> classes, String where) {
        List<String> seen = new ArrayList<>();
        for (List<String> c : classes) {
            if (seen.contains(c.getFirst())) throw new IllegalArgumentException("duplicate class name \"" + c.getFirst() + "\" in " + where);
            seen.add(c.getFirst());
        }
    }

    private static List<String> split(String s, String separator, String what) {
        List<String> out = new ArrayList<>();
        if (s == null || s.isBlank()) throw new IllegalArgumentException("empty " + what + " list");
        for (String part : s.split(separator, -1)) {
            String name = part.strip();
            if (name.isEmpty()) throw new IllegalArgumentException("empty " + what + " name in \"" + s + "\"");
            out.add(name);
        }
        return out;
    }

    /** The nine vocabularies of the CLIPtrase reference (`cliptrase-vocabularies.json`), by upper-case name. */
    public static Map<String, Vocabulary> bundled() {
        return Bundled.VOCABULARIES;
    }

    /**
     * A bundled vocabulary by name, case-insensitively, for any method: the CLIPtrase reference's lists first
     * ({@code VOC20} … {@code ADEFULL}), then the slide methods' name files ({@code voc21} … {@code camvid}).
     */
    public static Vocabulary named(String name) {
        return named(name, Method.CLIPTRASE);
    }

    /**
     * A bundled vocabulary by name for one method: the lists of that method's own reference code first (CLIPtrase's
     * for {@code cliptrase}, the SCLIP/NACLIP name files for the others: {@code voc21} differs between the two), then
     * the other family's, so every name works with every method. Unknown: one line listing them all.
     */
    public static Vocabulary named(String name, Method method) {
        Vocabulary own = method == Method.CLIPTRASE ? cliptraseList(name) : NameFiles.find(name);
        if (own != null) return own;
        Vocabulary other = method == Method.CLIPTRASE ? NameFiles.find(name) : cliptraseList(name);
        if (other != null) return other;
        throw new IllegalArgumentException("unknown vocabulary '" + name + "' (bundled: " + String.join(", ", bundled().keySet())
                + ", " + String.join(", ", NameFiles.names()) + ")");
    }

    /** A bundled SCLIP/NACLIP name file ({@code voc21}, …, {@code camvid}, or its file stem), one line if unknown. */
    public static Vocabulary nameFile(String name) {
        Vocabulary v = NameFiles.find(name);
        if (v == null) throw new IllegalArgumentException("unknown vocabulary '" + name + "' (bundled name files: " + String.join(", ", NameFiles.names()) + ")");
        return v;
    }

    /** The short names of the bundled name files ({@code voc21}, {@code voc20}, …, {@code camvid}), in order. */
    public static List<String> nameFiles() {
        return NameFiles.names();
    }

    private static Vocabulary cliptraseList(String name) {
        for (var e : bundled().entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) return e.getValue();
        }
        return null;
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
                    // one name per class, as the reference prompts them ("car, auto, automobile" is one ADE-full name)
                    v.put(key, Vocabulary.of(key, strings(d.get("classes")),
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

    /**
     * The SCLIP/NACLIP name files (and our CamVid list): class i is line i, synonyms split on {@code ", "} exactly as
     * those readers split them, only the line break removed (PC60's {@code "wood "} keeps its space, as there), so the
     * text rows are the reference's. Background is their class 0, not background words.
     */
    private static final class NameFiles {
        private static final Map<String, String> FILES = files();

        static List<String> names() {
            return List.copyOf(FILES.keySet());
        }

        static Vocabulary find(String name) {
            String key = name.toLowerCase(Locale.ROOT), file = FILES.get(key);
            if (file == null && FILES.containsValue(key)) file = key;
            if (file == null) return null;
            try (InputStream in = Vocabulary.class.getResourceAsStream("/dev/clipengine/data/" + file + ".txt")) {
                if (in == null) throw new IllegalStateException("bundled name file " + file + " missing from the jar");
                List<String> lines = new ArrayList<>(List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1)));
                while (!lines.isEmpty() && lines.getLast().isBlank()) lines.removeLast();
                List<List<String>> classes = new ArrayList<>();
                for (String line : lines) classes.add(List.of(line.replace("\r", "").split(", ", -1)));
                String shortName = FILES.entrySet().stream().filter(e -> e.getValue().equals(FILES.getOrDefault(key, key)))
                        .map(Map.Entry::getKey).findFirst().orElse(file);
                return new Vocabulary(shortName, classes, List.of());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static Map<String, String> files() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("voc21", "cls_voc21");
            m.put("voc20", "cls_voc20");
            m.put("pc60", "cls_context60");
            m.put("pc59", "cls_context59");
            m.put("object", "cls_coco_object");
            m.put("stuff", "cls_coco_stuff");
            m.put("city", "cls_city_scapes");
            m.put("ade", "cls_ade20k");
            m.put("camvid", "cls_camvid");
            return Collections.unmodifiableMap(m);
        }
    }
}
