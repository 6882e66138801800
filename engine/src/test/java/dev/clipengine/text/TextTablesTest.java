package dev.clipengine.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The character tables read from their resource file (issue 18: no 30,000-character source line). */
class TextTablesTest {

    @Test
    void bundledSectionsHaveTheSizesOfTheirSources() {
        TextTables t = TextTables.bundled();
        // CPython 3.11 html.entities.html5 has 2231 names; html._invalid_charrefs 34; ftfy's C1 map covers 0x80..0x9F
        assertEquals(2231, t.section("html5").size());
        assertEquals(34, t.section("invalid-charrefs").size());
        assertEquals(32, t.section("c1-sloppy-1252").size());
        assertEquals(List.of("html5", "ftfy-upper-entities", "invalid-charrefs", "invalid-codepoints", "width-map", "ligatures",
                "control-chars", "c1-sloppy-1252"), List.copyOf(t.sections().keySet()));
    }

    @Test
    void entitiesResolveThroughTheLoadedTables() {
        // values from the HTML5 named character references (W3C), checked by hand
        assertEquals("<html> & \u00e9 \u2242\u0338", TextCleaner.htmlUnescape("&lt;html&gt; &amp; &eacute; &NotEqualTilde;"));
        assertEquals("\u20ac", TextCleaner.htmlUnescape("&#128;"));   // CPython's invalid-charref replacement
    }

    @Test
    void malformedResourceIsRefusedNotHalfRead() throws Exception {
        assertThrows(IllegalStateException.class, () -> TextTables.parse(new BufferedReader(new StringReader("a=1\n[x]\n"))));
        assertThrows(IllegalStateException.class, () -> TextTables.parse(new BufferedReader(new StringReader("[x]\n[x]\n"))));
        TextTables t = TextTables.parse(new BufferedReader(new StringReader("# c\n[x]\nab=61\n\n[y]\n")));
        assertEquals(List.of("ab=61"), t.section("x"));
        assertEquals(List.of(), t.section("y"));
        assertThrows(IllegalStateException.class, () -> t.section("z"));
    }

    @Test
    void noSourceLineHoldsATable() throws Exception {
        Path src = Path.of("src/main/java/dev/clipengine/text");
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) {
                int longest = Files.readAllLines(f).stream().mapToInt(String::length).max().orElse(0);
                assertTrue(longest <= 200, f + " has a line of " + longest + " characters");
            }
        }
    }
}
