package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.WeightsMain;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 18 finding 11, as a newcomer meets it: every command's help has examples that parse and an exit
 * status section, and engine.jar never calls itself clip-weights; mutually exclusive options give one clean
 * {@code error:} line; {@code --out} naming a file is refused in one line before the model loads; a folder
 * input takes its TIFF images, as a TIFF given directly works.
 */
class HelpAndRoughEdgesTest {

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = ClipCli.newCommandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = WeightsMain.execute(cl, args);
        return new Run(code, out.toString(), err.toString());
    }

    static List<String> commands() {
        return ClipCli.newCommandLine().getSubcommands().keySet().stream().filter(n -> !n.equals("help")).toList();
    }

    @Test
    void everyCommandsHelpHasExamplesThatParseAndAnExitStatus() {
        assertFalse(run("--help").out().contains("clip-weights"));
        for (String name : commands()) {
            Run r = run(name, "--help");
            assertEquals(0, r.code(), name + ": " + r.err());
            String help = r.out();
            assertFalse(help.contains("clip-weights"), name + " --help names clip-weights:\n" + help);
            assertTrue(help.contains("\nEXIT STATUS\n") && help.substring(help.indexOf("\nEXIT STATUS\n")).contains(" 2 "),
                    name + " --help has no exit status section naming 2:\n" + help);
            List<List<String>> examples = examples(help);
            assertFalse(examples.isEmpty(), name + " --help has no examples:\n" + help);
            for (List<String> ex : examples) {
                assertTrue(ex.size() > 4 && ex.subList(0, 4).equals(List.of("java", "-jar", "engine.jar", name)),
                        name + " example " + ex + " (a line wrapped by the help's width?) in:\n" + help);
                // each example is a valid command line for this jar: option names, arities, exclusive groups
                List<String> args = ex.subList(3, ex.size());
                try {
                    ClipCli.newCommandLine().parseArgs(args.toArray(String[]::new));
                } catch (CommandLine.ParameterException e) {
                    throw new AssertionError(name + " example does not parse: " + args + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /** The lines between "EXAMPLES" and the next blank line, joined across trailing backslashes, split as sh does. */
    static List<List<String>> examples(String help) {
        int at = help.indexOf("\nEXAMPLES\n");
        if (at < 0) return List.of();
        List<List<String>> out = new ArrayList<>();
        StringBuilder cmd = new StringBuilder();
        for (String line : help.substring(at + "\nEXAMPLES\n".length()).split("\n")) {
            if (line.isBlank()) break;
            String l = line.strip();
            if (l.endsWith("\\")) {
                cmd.append(l, 0, l.length() - 1).append(' ');
                continue;
            }
            cmd.append(l);
            out.add(shellWords(cmd.toString()));
            cmd.setLength(0);
        }
        return out;
    }

    static List<String> shellWords(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (char c : s.toCharArray()) {
            if (quote != 0) {
                if (c == quote) quote = 0;
                else w.append(c);
            } else if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) words.add(w.toString());
                w.setLength(0);
                inWord = false;
            } else {
                w.append(c);
                inWord = true;
            }
        }
        if (inWord) words.add(w.toString());
        return words;
    }

    @Test
    void mutuallyExclusiveOptionsAreOneCleanLine() {
        Run r = run("segment", "--model", "m.safetensors", "--image", "a.png", "--classes", "road", "--vocabulary", "VOC20",
                "--out", tmp.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("error: --classes") || line.startsWith("error: --vocabulary"), line);
        assertTrue(line.contains("mutually exclusive"), line);
        assertFalse(line.contains("Error:"), line);
    }

    @Test
    void outNamingAFileIsOneLineBeforeAnyWork() throws Exception {
        Path file = Files.writeString(tmp.resolve("results.txt"), "keep me\n");
        // the model does not exist: the --out line coming first shows the check runs before the model is loaded
        Run r = run("segment", "--model", tmp.resolve("no-such-model.safetensors").toString(), "--image", "a.png",
                "--classes", "road, sky", "--out", file.toString());
        assertEquals(2, r.code());
        assertEquals(List.of("error: --out " + file + ": exists and is not a folder (name a folder; it is created if missing)"), r.errLines());
        assertFalse(r.err().contains("FileAlreadyExists"));
        assertEquals("keep me\n", Files.readString(file));
        // the slide methods take the same path
        r = run("segment", "--model", "x", "--image", "a.png", "--method", "sclip", "--classes", "road, sky", "--out", file.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("--out " + file + ": exists and is not a folder"), r.err());
    }

    @Test
    void aFolderTakesItsTiffImagesAsATiffGivenDirectlyIs() throws Exception {
        Path model = Fixtures.clipTiny().resolve("hf");
        Path in = Files.createDirectory(tmp.resolve("in"));
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) for (int x = 0; x < 40; x++) img.setRGB(x, y, x < 20 ? 0x2050c0 : 0xc0a030);
        assertTrue(ImageIO.write(img, "tiff", in.resolve("a.tif").toFile()), "no TIFF writer");
        assertTrue(ImageIO.write(img, "tiff", in.resolve("b.TIFF").toFile()), "no TIFF writer");
        assertTrue(ImageIO.write(img, "png", in.resolve("c.png").toFile()));
        Files.writeString(in.resolve("notes.txt"), "not an image\n");
        Path folderOut = tmp.resolve("folder"), directOut = tmp.resolve("direct");
        Run r = run("segment", "--model", model.toString(), "--image", in.toString(), "--classes", "road, sky", "--size", "64",
                "--out", folderOut.toString());
        assertEquals(0, r.code(), r.err());
        for (String stem : List.of("a", "b", "c")) {
            Map<?, ?> j = (Map<?, ?>) Json.parse(Files.readString(folderOut.resolve(stem + ".json")));
            assertTrue(((String) j.get("image")).contains(stem + "."), j.toString());
        }
        assertFalse(Files.exists(folderOut.resolve("notes.json")));
        r = run("segment", "--model", model.toString(), "--image", in.resolve("a.tif").toString(), "--classes", "road, sky",
                "--size", "64", "--out", directOut.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(-1L, Files.mismatch(folderOut.resolve("a.labels.png"), directOut.resolve("a.labels.png")));
    }
}
