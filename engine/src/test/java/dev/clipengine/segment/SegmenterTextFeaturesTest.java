package dev.clipengine.segment;

import dev.clipengine.Fixtures;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Text features passed in (a Spark driver's broadcast) are used as given, and checked against the vocabulary. */
class SegmenterTextFeaturesTest {

    @Test
    void givenFeaturesAreUsed() throws Exception {
        try (ClipModel model = ClipModel.load(Fixtures.clipTiny().resolve("hf"))) {
            Segmenter s = new Segmenter(model, SegmentOptions.defaults().withSize(128).withDbscan(0.3, 3));
            Vocabulary v = Vocabulary.parse("road, car, sky, tree", null);
            RgbImage img = SegmenterTest.noise(200, 150, 7);
            float[][] text = s.textFeatures(v);
            assertArrayEquals(s.segment(img, v).labels(), s.segment(img, v, text).labels());
            assertArrayEquals(s.segment(img, v).labels(), s.segment(img, v, null).labels());
            // other features give another map: proof the given rows are what is scored
            float[][] swapped = {text[3], text[2], text[1], text[0]};
            assertFalse(Arrays.equals(s.segment(img, v).labels(), s.segment(img, v, swapped).labels()));
            assertThrows(IllegalArgumentException.class, () -> s.segment(img, v, Arrays.copyOf(text, 3)));
            assertThrows(IllegalArgumentException.class, () -> s.segment(img, v, new float[][] {new float[5], new float[5], new float[5], new float[5]}));
        }
    }
}
