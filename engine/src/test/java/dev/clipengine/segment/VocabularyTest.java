package dev.clipengine.segment;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one vocabulary type and its one syntax (docs/pipeline.md "Vocabulary"). */
class VocabularyTest {

    @Test
    void bundledNameFilesKeepTheReferenceRows() {
        // queries and classes of the SCLIP/NACLIP name files, counted by hand from the files
        int[][] expected = {{56, 21}, {30, 20}, {113, 81}, {60, 60}, {59, 59}, {150, 150}, {171, 171}, {19, 19}};
        String[] names = {"voc21", "voc20", "object", "pc60", "pc59", "ade", "stuff", "city"};
        for (int i = 0; i < names.length; i++) {
            Vocabulary v = Vocabulary.nameFile(names[i]);
            assertEquals(expected[i][0], v.textRows().size(), names[i] + " queries");
            assertEquals(expected[i][1], v.classCount(), names[i] + " classes");
            assertFalse(v.hasBackground(), "name files number background as class 0, not as background words");
        }
        Vocabulary voc21 = Vocabulary.nameFile("cls_voc21");
        assertEquals(26, voc21.names().get(0).size(), "26 background synonyms");
        assertEquals(List.of("person", "person in shirt", "person in jeans", "person in dress", "person in sweater",
                "person in skirt", "person in jacket"), voc21.names().get(15));
        assertEquals("wood ", Vocabulary.nameFile("pc60").names().get(59).getFirst(), "only the line break is removed");
        assertEquals("wood", Vocabulary.nameFile("pc60").labelName(59));
        assertEquals(11, Vocabulary.nameFile("camvid").classCount());
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.nameFile("voc99"));
    }

    @Test
    void everyBundledNameWorksWithEveryMethodAndEachMethodGetsItsOwnList() {
        // issue 18 finding 8: --vocabulary camvid failed with the default method
        for (Method m : Method.values()) {
            for (String n : Vocabulary.nameFiles()) assertTrue(Vocabulary.named(n, m).classCount() > 0, n + " with " + m);
            for (String n : Vocabulary.bundled().keySet()) assertTrue(Vocabulary.named(n, m).classCount() > 0, n + " with " + m);
        }
        assertEquals(11, Vocabulary.named("camvid", Method.CLIPTRASE).classCount());
        assertEquals(80, Vocabulary.named("coco80", Method.SCLIP).classCount());
        // voc21 is a name in both families: CLIPtrase's is 20 classes + 33 background words, SCLIP's 21 classes
        Vocabulary c = Vocabulary.named("voc21", Method.CLIPTRASE), s = Vocabulary.named("voc21", Method.SCLIP);
        assertEquals(20, c.classCount());
        assertEquals(33, c.background().size());
        assertEquals(21, s.classCount());
        assertEquals("sky", s.labelName(0), "class 0 of cls_voc21.txt: the background synonyms");
        assertSame(Vocabulary.bundled().get("VOC21"), Vocabulary.named("VOC21"));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.named("nope", Method.NACLIP));
    }

    @Test
    void commandLineSyntaxCommasBetweenClassesBarsBetweenSynonyms() {
        Vocabulary v = Vocabulary.parse(" road , car|automobile | auto, sky", "wall, floor");
        assertEquals(List.of(List.of("road"), List.of("car", "automobile", "auto"), List.of("sky")), v.names());
        assertEquals(List.of("road", "car", "sky"), v.classes());
        assertEquals(List.of("road", "car", "automobile", "auto", "sky", "wall", "floor"), v.textRows());
        assertEquals("[0, 1, 1, 1, 2, 3, 3]", Arrays.toString(v.rowLabels()));
        assertEquals(4, v.labelCount());
        assertEquals("background", v.labelName(3));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.parse("a, b|, c", null));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.parse("a, b, a|x", null));
    }

    @Test
    void fileSyntaxOneClassPerLineCommasBetweenSynonyms() {
        Vocabulary v = Vocabulary.parseFile("x.txt", "# comment\nsky, wall\r\n\ncar\nperson,rider \n\n");
        assertEquals(List.of("sky", "wall", "car", "person", "rider"), v.textRows());
        assertEquals("[0, 0, 1, 2, 2]", Arrays.toString(v.rowLabels()));
        assertEquals(List.of("sky", "car", "person"), v.classes());
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.parseFile("x", "sky, , wall"));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.parseFile("x", "\n# only a comment\n"));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.parseFile("x", "sky\nsky, heaven"));
    }

    @Test
    void synonymsPoolByTheirMaximumAndBackgroundRowsStay() {
        Vocabulary v = Vocabulary.parse("a, b|c|d", "bg1, bg2");
        int n = 2;
        // rows a, b, c, d, bg1, bg2; two patches each
        float[] rows = {1, 2, 3, -1, 0, 7, 5, 5, 9, 0, 8, 1};
        float[] pooled = v.maxOverSynonyms(rows, n);
        assertArrayEquals(new float[] {1, 2, 5, 7, 9, 0, 8, 1}, pooled);
        Vocabulary plain = Vocabulary.parse("a, b", "bg");
        float[] same = {1, 2, 3};
        assertSame(same, plain.maxOverSynonyms(same, 1), "no synonyms: the rows as they are (bit-identical maps)");
    }

    @Test
    void refusesEmptyAndHugeVocabularies() {
        assertThrows(IllegalArgumentException.class, () -> new Vocabulary("x", List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new Vocabulary("x", List.of(List.of()), List.of()));
        List<String> many = java.util.stream.IntStream.range(0, Vocabulary.MAX_NAMES + 1).mapToObj(i -> "c" + i).toList();
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.of("x", many, List.of()));
    }
}
