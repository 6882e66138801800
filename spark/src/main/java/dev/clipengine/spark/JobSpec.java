package dev.clipengine.spark;

import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.Vocabulary;

import java.io.Serializable;

/**
 * What every task needs, broadcast once per executor: the model to load, the options and vocabulary
 * (as the driver parsed them), the class text features the driver computed, where to write.
 *
 * @param text one unit-norm feature row per vocabulary text row ({@code Segmenter.textFeatures})
 * @param out  qualified output folder
 */
record JobSpec(ModelRef model, RecordSnapshot<SegmentOptions> optionsSnapshot, RecordSnapshot<Vocabulary> vocabularySnapshot,
               float[][] text, boolean exif, boolean overlays, boolean resume, String out, HadoopConf hadoop) implements Serializable {

    SegmentOptions options() {
        return optionsSnapshot.get();
    }

    Vocabulary vocabulary() {
        return vocabularySnapshot.get();
    }
}
