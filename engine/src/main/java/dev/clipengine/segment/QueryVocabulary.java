package dev.clipengine.segment;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Class names with synonyms, the vocabulary of the slide-protocol methods (docs/training-free-methods.md §3.3): class i
 * is line i of a name file, its names separated by {@code ", "}; every name is its own text query, and a class
 * scores the best of its synonyms.
 *
 * @param name    a label for reports ("voc21", or the file name)
 * @param classes per class, its names in file order (the first is the display name)
 */
public record QueryVocabulary(String name, List<List<String>> classes) {

    /** The bundled SCLIP/NACLIP name files (and our CamVid list) by the names {@code --vocabulary} accepts. */
    private static final Map<String, String> BUNDLED = bundledNames();

    public QueryVocabulary {
        List<List<String>> copy = new ArrayList<>();
        for (List<String> c : classes) copy.add(List.copyOf(c));
        classes = List.copyOf(copy);
        if (classes.isEmpty()) throw new IllegalArgumentException("empty class list: give at least one class name");
        for (int i = 0; i < classes.size(); i++) {
            if (classes.get(i).isEmpty()) throw new IllegalArgumentException("class " + i + " has no name");
            for (String n : classes.get(i)) {
                if (n.isBlank()) throw new IllegalArgumentException("empty name in class " + i + " (line " + (i + 1) + ")");
            }
        }
        if (queryCount(classes) > Vocabulary.MAX_NAMES) {
            throw new IllegalArgumentException("too many class names (" + queryCount(classes) + ", limit " + Vocabulary.MAX_NAMES + ")");
        }
    }

    private static int queryCount(List<List<String>> classes) {
        return classes.stream().mapToInt(List::size).sum();
    }

    /** One class per name (no synonyms). */
    public static QueryVocabulary ofClasses(String name, List<String> classNames) {
        return new QueryVocabulary(name, classNames.stream().map(List::of).toList());
    }

    /**
     * Parses the name-file format: one class per line, synonyms separated by {@code ", "} exactly as the SCLIP and
     * NACLIP readers split them; only the line break is removed (other whitespace stays, e.g. PC60's {@code "wood "},
     * which tokenizes like {@code "wood"}). Trailing empty lines are ignored, an empty line inside is an error.
     */
    public static QueryVocabulary parse(String name, String text) {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        for (int i = 0; i < lines.size(); i++) lines.set(i, lines.get(i).replace("\r", ""));
        while (!lines.isEmpty() && lines.getLast().isBlank()) lines.removeLast();
        if (lines.isEmpty()) throw new IllegalArgumentException(name + ": no class names");
        List<List<String>> classes = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) throw new IllegalArgumentException(name + ": line " + (i + 1) + " is empty");
            classes.add(List.of(lines.get(i).split(", ", -1)));
        }
        return new QueryVocabulary(name, classes);
    }

    public static QueryVocabulary read(Path file) throws IOException {
        return parse(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * A bundled name file: {@code voc21}, {@code voc20}, {@code pc60}, {@code pc59}, {@code object}, {@code stuff},
     * {@code city}, {@code ade}, {@code camvid}, or the file stems ({@code cls_voc21}, …), case-insensitively.
     */
    public static QueryVocabulary bundled(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        String file = BUNDLED.get(key);
        if (file == null && BUNDLED.containsValue(key)) file = key;
        if (file == null) {
            throw new IllegalArgumentException("unknown vocabulary '" + name + "' (bundled name files: "
                    + String.join(", ", BUNDLED.keySet()) + ")");
        }
        try (InputStream in = QueryVocabulary.class.getResourceAsStream("/dev/clipengine/data/" + file + ".txt")) {
            if (in == null) throw new IllegalStateException("bundled name file " + file + " missing from the jar");
            QueryVocabulary parsed = parse(file, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            return new QueryVocabulary(canonicalName(file), parsed.classes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The short names {@link #bundled} knows, in order (voc21, voc20, …, camvid). */
    public static List<String> names() {
        return List.copyOf(BUNDLED.keySet());
    }

    /** Whether {@link #bundled} knows the name. */
    public static boolean isBundled(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        return BUNDLED.containsKey(key) || BUNDLED.containsValue(key);
    }

    private static String canonicalName(String file) {
        for (var e : BUNDLED.entrySet()) if (e.getValue().equals(file)) return e.getKey();
        return file;
    }

    private static Map<String, String> bundledNames() {
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
        return m;
    }

    /** Every name in order: the text queries. */
    public List<String> queries() {
        List<String> out = new ArrayList<>();
        for (List<String> c : classes) out.addAll(c);
        return out;
    }

    /** The class of each query. */
    public int[] queryClass() {
        int[] out = new int[queryCount(classes)];
        int j = 0;
        for (int i = 0; i < classes.size(); i++) {
            for (int k = 0; k < classes.get(i).size(); k++) out[j++] = i;
        }
        return out;
    }

    public int classCount() {
        return classes.size();
    }

    /** Display name of class {@code i}: its first name, stripped. */
    public String className(int i) {
        return classes.get(i).getFirst().strip();
    }
}
