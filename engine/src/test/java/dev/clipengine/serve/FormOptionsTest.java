package dev.clipengine.serve;

import dev.clipengine.segment.Method;
import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.SlideOptions;
import dev.clipengine.segment.Vocabulary;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Form parts mean what segment's options mean: checked against values set by hand, not against the parser itself. */
class FormOptionsTest {

    static List<Multipart.Part> parts(String... nameValue) {
        List<Multipart.Part> out = new ArrayList<>(List.of(new Multipart.Part("image", "x.png", new byte[] {1, 2, 3})));
        for (int i = 0; i < nameValue.length; i += 2) {
            out.add(new Multipart.Part(nameValue[i], null, nameValue[i + 1].getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    static SegmentRequest parse(String... nameValue) {
        return FormOptions.parse(parts(nameValue), SegmentRequest.Output.JSON);
    }

    /** A plan whose options must be CLIPtrase's. */
    private record Cliptrase(SegmentOptions options, Vocabulary vocabulary) {
        Cliptrase(SegmentRequest.Plan p) {
            this(assertInstanceOf(SegmentOptions.class, p.options()), p.vocabulary());
        }
    }

    /** A plan whose options must be a slide method's. */
    private record Slide(SlideOptions options, Vocabulary vocabulary) {
        Slide(SegmentRequest.Plan p) {
            this(assertInstanceOf(SlideOptions.class, p.options()), p.vocabulary());
        }
    }

    @Test
    void cliptraseOptions() {
        SegmentRequest r = parse("classes", "road, car", "size", "224", "eps", "0.9", "min-samples", "4", "protocol", "full",
                "cls_reweight", "false", "exif", "true", "background", "wall, floor");
        var c = new Cliptrase(r.plan());
        assertEquals(224, c.options().size());
        assertEquals(0.9, c.options().effectiveEps());
        assertEquals(4, c.options().effectiveMinSamples());
        assertEquals(SegmentOptions.Protocol.FULL, c.options().protocol());
        assertEquals(Boolean.FALSE, c.options().clsReweight());
        assertEquals(80, c.options().templates().size());
        assertEquals(List.of("road", "car"), c.vocabulary().classes());
        assertEquals(List.of("wall", "floor"), c.vocabulary().background());
        assertTrue(r.exif());
        assertEquals("x.png", r.filename());
    }

    @Test
    void defaultsAreSegmentsDefaults() {
        var c = new Cliptrase(parse("vocabulary", "voc20").plan());
        assertEquals(336, c.options().size());
        assertEquals(1.1, c.options().effectiveEps());
        assertEquals(7, c.options().effectiveMinSamples());
        assertEquals(20, c.vocabulary().classes().size());
        // issue 18 finding 4: photos upright by default, as segment; the form's exif=false reads them as stored
        assertTrue(parse("classes", "a").exif());
        assertFalse(parse("classes", "a", "exif", "false").exif());
    }

    @Test
    void slideOptionsAndProfile() {
        var s = new Slide(
                parse("method", "naclip", "classes", "a, b", "size", "96", "crop", "64", "stride", "32", "sigma", "3", "prob_thd", "0.2").plan());
        assertEquals(Method.NACLIP, s.options().method());
        assertEquals(96, s.options().shortSide());
        assertEquals(64, s.options().crop());
        assertEquals(32, s.options().stride());
        assertEquals(3.0, s.options().sigma());
        assertEquals(0.2f, s.options().probThd());
        assertEquals(2, s.vocabulary().classCount());
        var p = new Slide(parse("profile", "sclip-voc21").plan());
        assertEquals(Method.SCLIP, p.options().method());
        assertEquals(21, p.vocabulary().classCount());
    }

    @Test
    void repeatedOptionsGiveTheCachedPlan() {
        assertSame(parse("classes", "cached, plan", "size", "64").plan(), parse("classes", "cached, plan", "size", "64").plan());
    }

    @Test
    void refusalsAre400WithPartNames() {
        assertMessage("unknown part 'templates'", "classes", "a", "templates", "/etc/passwd");
        assertMessage("unknown part 'model'", "classes", "a", "model", "/tmp/x");
        assertMessage("empty classes", "classes", "  ");
        assertMessage("give the classes: a 'classes' part", "size", "64");
        assertMessage("'eps'", "classes", "a", "eps", "wide");
        assertMessage("unknown method 'deeplab'", "classes", "a", "method", "deeplab");
        assertMessage("exif", "classes", "a", "exif", "maybe");
        assertMessage("crop", "classes", "a", "crop", "32");
        assertMessage("more than one 'image' part", "classes", "a", "image", "again");
        // a value that looks like an option stays a value
        assertMessage("unknown vocabulary", "vocabulary", "--size");
        HttpError noImage = assertThrows(HttpError.class, () -> FormOptions.parse(List.of(new Multipart.Part("classes", null, new byte[] {'a'})), SegmentRequest.Output.JSON));
        assertEquals(400, noImage.status);
        assertTrue(noImage.getMessage().contains("no 'image' part"));
    }

    private static void assertMessage(String expected, String... nameValue) {
        HttpError e = assertThrows(HttpError.class, () -> parse(nameValue));
        assertEquals(400, e.status);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
