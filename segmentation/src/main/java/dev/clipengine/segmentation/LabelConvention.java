package dev.clipengine.segmentation;

import java.util.Arrays;

/**
 * How a dataset's stored label values become class indices: values in {@code ignore} are not scored;
 * {@code reduceZeroLabel} (mmseg's flag) makes stored 0 an ignore value and shifts every other value down by one;
 * anything that lands outside {@code [0, numClasses)} is ignored too. Ignored pixels come out as -1.
 */
public record LabelConvention(int numClasses, boolean reduceZeroLabel, int... ignore) {

    public LabelConvention {
        ignore = ignore.clone();
        if (numClasses < 1) throw new IllegalArgumentException("need at least one class");
    }

    public int toClass(int stored) {
        for (int v : ignore) if (stored == v) return -1;
        int c = reduceZeroLabel ? stored - 1 : stored;
        return c >= 0 && c < numClasses ? c : -1;
    }

    /** Converts a whole map in place and returns it. */
    public int[] apply(int[] stored) {
        for (int i = 0; i < stored.length; i++) stored[i] = toClass(stored[i]);
        return stored;
    }

    /** A short human description for reports, e.g. "values 0-149 = classes, 255 ignored". */
    public String describe() {
        StringBuilder s = new StringBuilder();
        if (reduceZeroLabel) s.append("stored 0 ignored, 1-").append(numClasses).append(" = classes 0-").append(numClasses - 1);
        else s.append("stored 0-").append(numClasses - 1).append(" = classes");
        if (ignore.length > 0) s.append("; ").append(Arrays.toString(ignore)).append(" ignored");
        return s.append("; any other value ignored").toString();
    }
}
