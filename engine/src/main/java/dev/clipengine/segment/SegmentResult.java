package dev.clipengine.segment;

import dev.clipengine.image.RgbImage;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One segmented image, whatever the method.
 *
 * @param vocabulary what the labels index
 * @param image      the pixels the map is aligned with (CLIPtrase's S×S crop, or the original image)
 * @param labels     label per pixel, row-major, {@code image.width() × image.height()}
 * @param timingsMs  the method's named stages (text, network, …, total), in order
 * @param details    the method's own facts for the JSON summary (protocol, grid, clusters, windows, …), in order
 * @param extras     the method's own result object ({@link Segmentation} for CLIPtrase, {@link SlideSegmenter.Result}
 *                   for the slide methods), for callers that know the method
 */
public record SegmentResult(Vocabulary vocabulary, RgbImage image, int[] labels, Map<String, Double> timingsMs,
                            Map<String, Object> details, Object extras) {

    public SegmentResult {
        if (labels.length != image.width() * image.height()) {
            throw new IllegalArgumentException(labels.length + " labels for a " + image.width() + "x" + image.height() + " image");
        }
        details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    public int width() {
        return image.width();
    }

    public int height() {
        return image.height();
    }

    /** The display name of every label, index = label value. */
    public String[] labelNames() {
        String[] names = new String[vocabulary.labelCount()];
        for (int i = 0; i < names.length; i++) names[i] = vocabulary.labelName(i);
        return names;
    }

    /** Share of pixels of each label present, by label name, largest first (ties: lower label first). */
    public Map<String, Double> classFractions() {
        return classFractions(labels, labelNames());
    }

    /** As {@link #classFractions()} for any map: a name shared by two labels gets the later one's index appended. */
    static Map<String, Double> classFractions(int[] labels, String[] names) {
        int[] counts = new int[names.length];
        for (int l : labels) counts[l]++;
        Integer[] order = new Integer[counts.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> counts[b] != counts[a] ? Integer.compare(counts[b], counts[a]) : Integer.compare(a, b));
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i : order) {
            if (counts[i] > 0) out.put(names[i] + (out.containsKey(names[i]) ? " (" + i + ")" : ""), counts[i] / (double) labels.length);
        }
        return out;
    }

    /** The method's own result, when it is of the given type. */
    public <T> T extras(Class<T> type) {
        return type.cast(extras);
    }
}
