package dev.clipengine.heads;

import dev.clipengine.image.RgbImage;
import dev.clipengine.segment.SeedMethodOptions;
import dev.clipengine.segment.SegmentResult;
import dev.clipengine.segment.Vocabulary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** ReCLIP++ ({@code --method reclip++}) as a {@link SeedHeadMethod} (docs/seed-heads.md). */
final class ReclipMethod implements SeedHeadMethod {

    private final SeedMethodOptions options;
    private final ReclipHead head;
    private final int size;
    private final float pd;
    /** The Reference prompts depend on the class names only: computed once per class list. */
    private final Map<List<String>, float[]> references = new ConcurrentHashMap<>();

    ReclipMethod(SeedMethodOptions options, ReclipHead head) {
        try {
            this.size = options.size() != null ? options.size() : 336;
            if (size < 1) throw new IllegalArgumentException("--size must be positive, got " + size);
            if (options.crop() != null || options.stride() != null || options.seenClasses() != null) {
                throw new IllegalArgumentException("--crop, --stride and --seen-classes do not apply to --method reclip++");
            }
        } catch (RuntimeException e) {
            head.close();
            throw e;
        }
        this.options = options;
        this.head = head;
        this.pd = options.pdThreshold() != null ? options.pdThreshold() : 0f;
    }

    @Override
    public SeedMethodOptions options() {
        return options;
    }

    /** The decoder's class count must match; the user's embeddings (fp16 read exactly) or the 85-template zero-shot weights. */
    @Override
    public float[][] textFeatures(Vocabulary vocabulary) {
        List<String> classes = checked(vocabulary);
        try {
            float[] text = options.classEmbeddings() != null
                    ? ClassEmbeddings.read(options.classEmbeddings(), head.classes(), head.embedDim()).values()
                    : head.zeroShotWeights(classes);
            return SeedHeads.rows(text, head.classes(), head.embedDim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public SegmentResult segment(RgbImage image, Vocabulary vocabulary, float[][] textFeatures) {
        List<String> classes = checked(vocabulary);
        float[][] rows = textFeatures != null ? textFeatures : textFeatures(vocabulary);
        long t0 = System.nanoTime();
        float[] ref = references.computeIfAbsent(classes, c -> head.referencePrompts(c, null));
        ReclipHead.Run r = head.run(image, size, pd, SeedHeads.flat(rows), ref);
        int kept = 0;
        for (boolean k : r.keep()) if (k) kept++;
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("size", size);
        d.put("resized", new int[] {r.resized().width(), r.resized().height()});
        d.put("grid", new int[] {r.gridH(), r.gridW()});
        d.put("pd_threshold", pd);
        d.put("pd_kept_classes", kept);
        return SeedHeads.result(image, vocabulary, r.pred(), t0, d);
    }

    private List<String> checked(Vocabulary vocabulary) {
        List<String> classes = SeedHeads.classes(vocabulary, options.name());
        if (classes.size() != head.classes()) {
            throw new IllegalArgumentException("the class list names " + classes.size() + " classes but the decoder of "
                    + head.path().getFileName() + " has " + head.classes());
        }
        return classes;
    }

    @Override
    public void close() {
        head.close();
    }
}
