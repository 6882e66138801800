package dev.clipengine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Code comments and the README cite the project's own {@code docs/} (issue 18: nothing outside the repository);
 * every page they name must exist there, and every section they cite ({@code docs/cliptrase.md §3.2},
 * {@code App. C}) must be a heading of that page. Nothing may cite the specification folder outside the checkout.
 */
class DocsCitationsTest {

    static final Path ROOT = Path.of("..");
    static final Pattern CITATION = Pattern.compile("docs/([\\w-]+\\.md)([^)\\n]*)");
    /** Spelled in two parts so that this file does not match itself. */
    static final String OUTSIDE = "shared/" + "spec";
    static final Pattern SECTION = Pattern.compile("§(\\d+(?:\\.\\d+)*)|App\\. ([A-Z])");

    static List<Path> sources() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String module : List.of("native-bindings", "kernels", "weights-converter", "segmentation", "engine", "jmh", "spark")) {
            Path src = ROOT.resolve(module).resolve("src");
            if (!Files.isDirectory(src)) continue;
            try (Stream<Path> s = Files.walk(src)) {
                s.filter(p -> p.toString().endsWith(".java")).forEach(out::add);
            }
        }
        out.add(ROOT.resolve("README.md"));
        return out;
    }

    @Test
    void everyCitedPageAndSectionExists() throws IOException {
        List<String> broken = new ArrayList<>();
        int citations = 0;
        for (Path f : sources()) {
            String text = Files.readString(f);
            if (text.contains(OUTSIDE)) broken.add(f + ": cites ../" + OUTSIDE);
            Matcher m = CITATION.matcher(text);
            while (m.find()) {
                citations++;
                Path page = ROOT.resolve("docs").resolve(m.group(1));
                if (!Files.isRegularFile(page)) {
                    broken.add(f + ": " + m.group() + " (no such page)");
                    continue;
                }
                List<String> headings = Files.readAllLines(page).stream().filter(l -> l.startsWith("#")).toList();
                Matcher s = SECTION.matcher(m.group(2));
                while (s.find()) {
                    String want = s.group(1) != null ? s.group(1) : "Appendix " + s.group(2);
                    Pattern heading = Pattern.compile("#+ " + Pattern.quote(want) + "(\\.|\\s).*");
                    if (headings.stream().noneMatch(h -> heading.matcher(h).matches())) {
                        broken.add(f + ": " + m.group().strip() + " (no heading " + want + " in " + page.getFileName() + ")");
                    }
                }
            }
        }
        assertTrue(citations > 20, "found only " + citations + " citations of docs/: is the source tree where this test looks?");
        assertTrue(broken.isEmpty(), String.join("\n", broken));
    }
}
