package dev.clipengine.cli;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Issue 13 / issue 18 finding 8: one class syntax for every method. {@code --vocabulary camvid} works with the
 * default method; a class file's {@code "car, automobile"} is one class with a synonym for CLIPtrase as for the
 * slide methods; a class whose synonyms are all the same name segments exactly as the plain class.
 */
class VocabularySyntaxTest {

    @TempDir
    Path tmp;

    private Map<?, ?> segment(String name, String... options) throws Exception {
        Path image = Fixtures.dataset("0016E5_07959.png");
        List<String> argv = new ArrayList<>(List.of("segment", "--model", Fixtures.clipTiny().resolve("hf").toString(),
                image.toString(), "--out", tmp.resolve(name).toString(), "--size", "64"));
        argv.addAll(List.of(options));
        assertEquals(0, ClipCli.run(argv.toArray(String[]::new)), String.join(" ", argv));
        return (Map<?, ?>) Json.parse(Files.readString(tmp.resolve(name).resolve("0016E5_07959.json")));
    }

    private byte[] labels(String name) throws Exception {
        return Files.readAllBytes(tmp.resolve(name).resolve("0016E5_07959.labels.png"));
    }

    @Test
    void aSlideVocabularyWorksWithTheDefaultMethod() throws Exception {
        Map<?, ?> j = segment("camvid", "--vocabulary", "camvid");
        assertEquals("cliptrase", j.get("method"));
        assertEquals(11, ((List<?>) j.get("classes")).size());
        Map<?, ?> s = segment("coco", "--vocabulary", "COCO80", "--method", "sclip", "--crop", "48", "--stride", "32");
        // CLIPtrase's COCO80 list: 80 classes and its background words, one more label for a slide method too
        List<?> classes = (List<?>) s.get("classes");
        assertEquals(81, classes.size());
        assertEquals("background", classes.getLast());
        assertEquals("sclip", s.get("method"));
    }

    @Test
    void aClassFileMeansTheSameForEveryMethod() throws Exception {
        Path file = Files.writeString(tmp.resolve("names.txt"), "# CamVid-like\nroad\ncar, automobile\nsky\n");
        for (String method : List.of("cliptrase", "sclip", "naclip")) {
            Map<?, ?> j = segment("file-" + method, "--classes-file", file.toString(), "--method", method);
            assertEquals(List.of("road", "car", "sky"), j.get("classes"), method);
        }
    }

    @Test
    void synonymsThatRepeatTheNameChangeNothing() throws Exception {
        for (String method : List.of("cliptrase", "sclip")) {
            // CLIPtrase on the reference's crop, where the extra names flip the image's one cluster from tree to
            // car; on the whole image (20 patches, one cluster, car either way) the last check could not tell
            String protocol = method.equals("cliptrase") ? "cliptrase" : "slide";
            segment("plain-" + method, "--classes", "road, car, sky, tree", "--method", method, "--protocol", protocol);
            segment("syn-" + method, "--classes", "road|road, car|car|car, sky, tree|tree", "--method", method, "--protocol", protocol);
            assertEquals(-1L, java.util.Arrays.mismatch(labels("plain-" + method), labels("syn-" + method)), method);
            // and a real synonym is used: another name changes the scores of its class
            segment("other-" + method, "--classes", "road, car|building|sky|tree|road, sky, tree", "--method", method,
                    "--protocol", protocol);
            assertNotEquals(-1L, java.util.Arrays.mismatch(labels("plain-" + method), labels("other-" + method)), method);
        }
    }
}
