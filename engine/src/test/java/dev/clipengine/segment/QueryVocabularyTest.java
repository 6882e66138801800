package dev.clipengine.segment;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The bundled SCLIP name files and the synonym format (docs/training-free-methods.md §3.3, App. C query counts). */
class QueryVocabularyTest {

    @Test
    void bundledQueryAndClassCounts() {
        int[][] expected = {{56, 21}, {30, 20}, {113, 81}, {60, 60}, {59, 59}, {150, 150}, {171, 171}, {19, 19}};
        String[] names = {"voc21", "voc20", "object", "pc60", "pc59", "ade", "stuff", "city"};
        for (int i = 0; i < names.length; i++) {
            QueryVocabulary v = QueryVocabulary.bundled(names[i]);
            assertEquals(expected[i][0], v.queries().size(), names[i] + " queries");
            assertEquals(expected[i][1], v.classCount(), names[i] + " classes");
        }
        QueryVocabulary voc21 = QueryVocabulary.bundled("cls_voc21");
        assertEquals(26, voc21.classes().get(0).size(), "26 background words");
        assertEquals(List.of("person", "person in shirt", "person in jeans", "person in dress", "person in sweater",
                "person in skirt", "person in jacket"), voc21.classes().get(15));
        assertEquals("wood ", QueryVocabulary.bundled("pc60").classes().get(59).getFirst(), "only the line break is removed");
        assertEquals(11, QueryVocabulary.bundled("camvid").classCount());
    }

    @Test
    void parsesTheNameFileFormat() {
        QueryVocabulary v = QueryVocabulary.parse("x", "sky, wall\r\ncar\nperson, rider\n\n");
        assertEquals(List.of("sky", "wall", "car", "person", "rider"), v.queries());
        assertEquals("[0, 0, 1, 2, 2]", java.util.Arrays.toString(v.queryClass()));
        assertThrows(IllegalArgumentException.class, () -> QueryVocabulary.parse("x", "sky\n\ncar"));
        assertThrows(IllegalArgumentException.class, () -> QueryVocabulary.parse("x", "sky, , wall"));
        assertThrows(IllegalArgumentException.class, () -> QueryVocabulary.parse("x", "\n"));
        assertThrows(IllegalArgumentException.class, () -> QueryVocabulary.bundled("voc99"));
    }

    @Test
    void profilesFollowTheTable() {
        Profile p = Profile.named("sclip-voc21");
        assertEquals(List.of(336, 224, 112), List.of(p.shortSide(), p.crop(), p.stride()));
        assertEquals(65f, p.logitScale());
        assertEquals(0.1f, p.probThd());
        assertEquals(0.1f, p.areaThd());
        assertEquals(560, Profile.named("sclip-city").shortSide());
        assertEquals(448, Profile.named("sclip-stuff").shortSide());
        assertEquals(0, Profile.named("naclip-voc21").crop(), "NACLIP v2 runs VOC whole-image");
        assertEquals(336, Profile.named("naclip-stuff").shortSide());
        Profile cc = Profile.named("clearclip-city");
        assertEquals(List.of(448, 224, 224), List.of(cc.shortSide(), cc.crop(), cc.stride()));
        assertEquals(0.15f, Profile.named("clearclip-pc60").probThd());
        assertEquals(Method.NACLIP, Profile.named("naclip-ade").method());
        SlideOptions o = Profile.named("naclip-voc20").options(Method.NACLIP, 5.0, Vocabulary.imageNetTemplates());
        assertEquals(true, o.wholeImage());
        assertEquals(true, o.twoStepWhole());
        assertThrows(IllegalArgumentException.class, () -> Profile.named("sclip-kitti"));
    }
}
