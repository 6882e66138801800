package dev.clipengine.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The character tables of {@link TextCleaner} (CPython's HTML5 entities and invalid references, ftfy's
 * width map, ligatures, control characters and Windows-1252 reading of C1): generated data, kept as the
 * resource {@code text-tables.txt} beside this class rather than as source lines tens of thousands of
 * characters long, and read once, when {@link TextCleaner} is first used.
 *
 * @param sections each {@code [section]} of the file with its entries in file order
 */
record TextTables(Map<String, List<String>> sections) {

    static final String RESOURCE = "text-tables.txt";

    /** The tables bundled with the engine; a jar without them is broken, so that fails loudly. */
    static TextTables bundled() {
        try (InputStream in = TextTables.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("resource " + RESOURCE + " missing beside " + TextTables.class.getName());
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE, e);
        }
    }

    /** Reads the format the resource's header describes: {@code #} comments, {@code [name]} headers, one entry a line. */
    static TextTables parse(BufferedReader reader) throws IOException {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        List<String> current = null;
        for (String line; (line = reader.readLine()) != null; ) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("[") && line.endsWith("]")) {
                current = new ArrayList<>();
                if (sections.put(line.substring(1, line.length() - 1), current) != null) {
                    throw new IllegalStateException(RESOURCE + ": section " + line + " twice");
                }
            } else if (current == null) {
                throw new IllegalStateException(RESOURCE + ": entry before the first section: " + line);
            } else {
                current.add(line);
            }
        }
        return new TextTables(sections);
    }

    /** The entries of one section; a missing section is a broken resource. */
    List<String> section(String name) {
        List<String> s = sections.get(name);
        if (s == null) throw new IllegalStateException(RESOURCE + ": no section [" + name + "]");
        return s;
    }
}
