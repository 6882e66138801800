package dev.clipengine.spark;

import dev.clipengine.segment.MethodOptions;
import dev.clipengine.segment.Vocabulary;

import java.io.Serializable;

/**
 * What every task needs, broadcast once per executor: the model to load, the options and vocabulary
 * (as the driver parsed them), the class text features the driver computed, where to write.
 *
 * @param text one unit-norm feature row per vocabulary text row ({@code SegmentationMethod.textFeatures})
 * @param out  qualified output folder
 */
record JobSpec(ModelRef model, RecordSnapshot<?> optionsSnapshot, RecordSnapshot<Vocabulary> vocabularySnapshot,
               float[][] text, boolean exif, boolean overlays, boolean resume, String out, HadoopConf hadoop) implements Serializable {

    /** The method's options (any method: {@link MethodOptions} are records, shipped as their components). */
    MethodOptions options() {
        return (MethodOptions) optionsSnapshot.get();
    }

    Vocabulary vocabulary() {
        return vocabularySnapshot.get();
    }
}
