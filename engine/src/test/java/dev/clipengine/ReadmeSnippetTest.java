package dev.clipengine;

import dev.clipengine.image.ImageDecoder;
import dev.clipengine.model.ClipModel;
import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.SegmentResult;
import dev.clipengine.segment.Vocabulary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's library section as a user meets it: its Java file, taken from README.md as written (so the two
 * cannot drift), compiles against the library and runs in a JVM started with the options the README names, giving
 * what the library gives in-process; started without {@code --add-modules jdk.incubator.vector} it stops at
 * {@code ClipModel.load} with a message naming the option (not a NoClassDefFoundError at the first forward pass);
 * and the Maven coordinates it shows are the poms'.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadmeSnippetTest {

    static final Path README = Path.of("../README.md");

    String readme;
    String className;
    Path classes;

    @BeforeAll
    void compileTheSnippet(@TempDir Path tmp) throws IOException {
        assertTrue(Files.isRegularFile(README), "README.md not found at " + README.toAbsolutePath());
        readme = Files.readString(README);
        String snippet = javaBlockAfter(readme, "### Segmenting from Java");
        Matcher m = Pattern.compile("public class (\\w+)").matcher(snippet);
        assertTrue(m.find(), "the README's Java block declares no public class:\n" + snippet);
        className = m.group(1);
        Path src = Files.createDirectories(tmp.resolve("src")).resolve(className + ".java");
        Files.writeString(src, snippet);
        classes = Files.createDirectories(tmp.resolve("classes"));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            // as a user compiles it: the library on the class path, nothing else (the snippet names no Vector class)
            List<String> options = List.of("-classpath", classPath(), "-d", classes.toString());
            boolean ok = javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjects(src)).call();
            assertTrue(ok, "the README's Java block does not compile:\n" + diagnostics.getDiagnostics());
        }
    }

    /**
     * This JVM's class path as plain entries: Maven's test runner may start it with one jar whose manifest
     * {@code Class-Path} lists the real entries, which a child JVM would follow but is clearer spelled out.
     */
    static String classPath() throws IOException {
        List<String> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (e.endsWith(".jar") && p.getFileName().toString().startsWith("surefirebooter")) {
                try (var jar = new java.util.jar.JarFile(p.toFile())) {
                    String cp = jar.getManifest().getMainAttributes().getValue("Class-Path");
                    for (String u : cp.trim().split("\\s+")) {
                        java.net.URI uri = p.toUri().resolve(u);
                        out.add(Path.of(uri).toString());
                    }
                }
            } else {
                out.add(e);
            }
        }
        return String.join(File.pathSeparator, out);
    }

    /** The first {@code ```java} block after {@code heading}. */
    static String javaBlockAfter(String text, String heading) {
        int h = text.indexOf(heading);
        assertTrue(h >= 0, "README has no '" + heading + "'");
        int start = text.indexOf("```java\n", h);
        assertTrue(start >= 0, "no ```java block after '" + heading + "'");
        start += "```java\n".length();
        int end = text.indexOf("```", start);
        return text.substring(start, end);
    }

    record Run(int code, String out, String err) {
    }

    Run runSnippet(List<String> jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", classes + File.pathSeparator + classPath(), className,
                Fixtures.clipTiny().resolve("hf").toString(), Fixtures.dataset("0016E5_07959.png").toString()));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void theSnippetRunsWithTheOptionsTheReadmeNamesAndGivesTheLibrarysAnswer() throws Exception {
        List<String> options = List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED");
        assertTrue(readme.contains("--add-modules jdk.incubator.vector") && readme.contains("--enable-native-access=ALL-UNNAMED"));
        Run r = runSnippet(options);
        assertEquals(0, r.code(), r.err());

        // the same steps in this JVM: the snippet printed what the library computes
        try (ClipModel clip = ClipModel.load(Fixtures.clipTiny().resolve("hf"))) {
            SegmentResult s = SegmentOptions.defaults().create(clip)
                    .segment(ImageDecoder.read(Fixtures.dataset("0016E5_07959.png")), Vocabulary.parse("road, car|automobile, tree, sky, person", null));
            String expected = s.width() + "x" + s.height() + " " + s.labels().length + " " + s.classFractions();
            assertEquals(expected, r.out().strip());
        }
    }

    @Test
    void withoutTheVectorModuleLoadSaysWhichOptionToAdd() throws Exception {
        Run r = runSnippet(List.of("--enable-native-access=ALL-UNNAMED"));
        assertNotEquals(0, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().contains("IllegalStateException: clip-engine needs the Vector API"), r.err());
        assertTrue(r.err().contains(ClipModel.VECTOR_MODULE_FLAG), r.err());
        assertTrue(r.err().contains("at dev.clipengine.model.ClipModel.load("), "thrown by load, before any work:\n" + r.err());
        assertFalse(r.err().contains("NoClassDefFoundError"), r.err());
    }

    @Test
    void theMavenCoordinatesAreThePoms() throws IOException {
        String parent = Files.readString(Path.of("../pom.xml")), engine = Files.readString(Path.of("pom.xml"));
        Matcher v = Pattern.compile("<artifactId>clip-engine-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(parent);
        assertTrue(v.find(), "no version in the parent pom");
        Matcher g = Pattern.compile("<groupId>([^<]+)</groupId>\\s*<artifactId>clip-engine-parent</artifactId>").matcher(parent);
        assertTrue(g.find(), "no groupId in the parent pom");
        assertTrue(engine.contains("<artifactId>engine</artifactId>"), "the engine module's artifactId");
        String expected = "<dependency>\n  <groupId>" + g.group(1) + "</groupId>\n  <artifactId>engine</artifactId>\n  <version>"
                + v.group(1) + "</version>\n</dependency>";
        assertTrue(readme.contains(expected), "README lacks the coordinates:\n" + expected);
    }
}
