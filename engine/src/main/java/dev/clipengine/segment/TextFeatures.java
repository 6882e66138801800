package dev.clipengine.segment;

import dev.clipengine.model.ClipModel;
import dev.clipengine.model.ZeroShot;

import java.util.Collections;
import java.util.List;
import java.util.WeakHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Class text features by prompt ensembling (spec cliptrase.md §3.1): for each name, encode every
 * template with the name filled in, L2-normalize each, average, L2-normalize the mean. Results are
 * cached per (model, names, templates), so a batch of images pays for the text tower once, and on disk
 * ({@link TextFeatureStore}), so that a new process with a vocabulary seen before does not pay for it at all.
 */
public final class TextFeatures {

    private record Key(List<String> names, List<String> templates) {
    }

    /** Per model (weakly held, so a closed and dropped model takes its features with it), per vocabulary. */
    private static final Map<ClipModel, Map<Key, float[][]>> CACHE = Collections.synchronizedMap(new WeakHashMap<>());
    private static final int VOCABULARIES_PER_MODEL = 64;

    private TextFeatures() {
    }

    /**
     * The text features of a vocabulary: one row per {@link Vocabulary#textRows() text row}. Every method computes
     * its text features here (docs/pipeline.md), so this is where a cache or another text path hooks in.
     */
    public static float[][] of(ClipModel model, Vocabulary vocabulary, List<String> templates) {
        return of(model, vocabulary.textRows(), templates);
    }

    /** The disk store the environment asks for, looked up once per process (null: off). */
    private static final class Disk {
        static final TextFeatureStore STORE = TextFeatureStore.fromEnvironment();
    }

    /**
     * One unit-norm feature row per name (cached in memory and in the user cache; the returned rows must not be
     * modified).
     */
    public static float[][] of(ClipModel model, List<String> names, List<String> templates) {
        return of(model, names, templates, Disk.STORE);
    }

    /** As {@link #of(ClipModel, List, List)} with the disk store given ({@code null}: memory only). */
    public static float[][] of(ClipModel model, List<String> names, List<String> templates, TextFeatureStore store) {
        Key key = new Key(List.copyOf(names), List.copyOf(templates));
        Map<Key, float[][]> perModel = CACHE.computeIfAbsent(model, m -> new ConcurrentHashMap<>());
        float[][] hit = perModel.get(key);
        if (hit != null) return hit;
        float[][] rows = fromDisk(model, key, store);
        if (perModel.size() >= VOCABULARIES_PER_MODEL) perModel.clear();
        perModel.put(key, rows);
        return rows;
    }

    /** The stored rows when the store has an intact entry, else computed and stored. */
    private static float[][] fromDisk(ClipModel model, Key key, TextFeatureStore store) {
        String fingerprint = store == null || key.names().isEmpty() ? null : model.fingerprint();
        byte[] diskKey = fingerprint == null ? null
                : TextFeatureStore.key(fingerprint, model.backend().name(), key.names(), key.templates());
        if (diskKey != null) {
            float[][] stored = store.load(diskKey, key.names().size());
            if (stored != null) return stored;
        }
        float[][] rows = new float[key.names().size()][];
        for (int i = 0; i < rows.length; i++) rows[i] = ensemble(model, key.names().get(i), key.templates());
        if (diskKey != null) store.save(diskKey, rows);
        return rows;
    }

    static float[] ensemble(ClipModel model, String name, List<String> templates) {
        float[] mean = null;
        // all templates of a name in one batch: one pass over the text weights instead of one per template
        float[][] encoded = model.embedTexts(templates.stream().map(t -> t.replace("{}", name)).toList());
        for (float[] raw : encoded) {
            float[] e = ZeroShot.normalized(raw);
            if (mean == null) mean = new float[e.length];
            for (int c = 0; c < e.length; c++) mean[c] += e[c];
        }
        for (int c = 0; c < mean.length; c++) mean[c] /= templates.size();
        return ZeroShot.normalized(mean);
    }
}
