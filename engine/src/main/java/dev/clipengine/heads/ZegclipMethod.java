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

/** ZegCLIP and TagCLIP ({@code --method zegclip|tagclip}) as a {@link SeedHeadMethod} (docs/seed-heads.md). */
final class ZegclipMethod implements SeedHeadMethod {

    private final SeedMethodOptions options;
    private final ZegclipHead head;

    ZegclipMethod(SeedMethodOptions options, ZegclipHead head) {
        if (options.pdThreshold() != null) throw new IllegalArgumentException("--pd-threshold does not apply to --method " + options.name());
        this.options = options;
        this.head = head;
    }

    @Override
    public SeedMethodOptions options() {
        return options;
    }

    /** The user's embeddings (one row per class, any count the decoder takes) or "a photo of a {name}" with the text tower. */
    @Override
    public float[][] textFeatures(Vocabulary vocabulary) {
        List<String> classes = SeedHeads.classes(vocabulary, options.name());
        settings(classes.size());   // bad --size/--crop/--seen-classes fail before any image
        try {
            if (options.classEmbeddings() != null) {
                ClassEmbeddings.Table t = ClassEmbeddings.read(options.classEmbeddings(), 0, head.embedDim());
                if (t.rows() != classes.size()) {
                    throw new IllegalArgumentException("the class list names " + classes.size() + " classes but "
                            + options.classEmbeddings().getFileName() + " holds " + t.rows() + " class embeddings");
                }
                return SeedHeads.rows(t.values(), t.rows(), head.embedDim());
            }
            return SeedHeads.rows(head.textEmbeddings(classes, options.textHeads()), classes.size(), head.embedDim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public SegmentResult segment(RgbImage image, Vocabulary vocabulary, float[][] textFeatures) {
        List<String> classes = SeedHeads.classes(vocabulary, options.name());
        float[][] rows = textFeatures != null ? textFeatures : textFeatures(vocabulary);
        if (rows.length != classes.size()) {
            throw new IllegalArgumentException(rows.length + " text feature rows for " + classes.size() + " classes");
        }
        ZegclipHead.Settings s = settings(classes.size());
        long t0 = System.nanoTime();
        ZegclipHead.Run r = head.run(image, SeedHeads.flat(rows), s);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("size", s.shortSide());
        d.put("resized", new int[] {r.resized().width(), r.resized().height()});
        d.put("crop", s.crop());
        d.put("stride", s.stride());
        d.put("windows", r.windows().size());
        if (head.family() == ZegclipHead.Family.TAGCLIP) d.put("trusty_weighting", s.trustyWeighting());
        return SeedHeads.result(image, vocabulary, r.pred(), t0, d);
    }

    /** The options over the checkpoint's embedded config; the seen classes depend on the class count. */
    private ZegclipHead.Settings settings(int classes) {
        ZegclipHead.Settings d = head.defaults(classes);
        boolean[] seen = options.seenClasses() != null ? SeedHeads.parseSeen(options.seenClasses(), classes) : d.seen();
        ZegclipHead.Settings s = new ZegclipHead.Settings(options.size() != null ? options.size() : d.shortSide(),
                options.crop() != null ? options.crop() : d.crop(), options.stride() != null ? options.stride() : d.stride(),
                seen, options.trustyWeighting());
        if (s.crop() < 1 || s.shortSide() < s.crop()) {
            throw new IllegalArgumentException("--size " + s.shortSide() + " and --crop " + s.crop() + ": the crop must be positive and at most the size");
        }
        if (s.stride() < 1) throw new IllegalArgumentException("--stride must be positive, got " + s.stride());
        return s;
    }

    @Override
    public void close() {
        head.close();
    }
}
