package dev.clipengine.weights.torch;

/**
 * A count of work units (opcodes run, elements and bytes copied) that a parser may spend on one
 * input, derived from the input's own size: a legitimate pickle spends a few units per byte (every
 * value it builds is written in it), so a budget of {@value #UNITS_PER_BYTE} units per byte plus a
 * floor of {@value #FLOOR} never refuses one, while a pickle that re-uses memoised values to
 * multiply its work (the same million-item list handed to {@code OrderedDict} again and again) runs
 * out after work linear in its size, in well under a second and a few tens of MiB.
 */
final class WorkBudget {

    static final long UNITS_PER_BYTE = 16;
    static final long FLOOR = 1 << 20;
    /** Even a 256 MiB pickle may not spend more than this (about a second of copying). */
    static final long CEILING = 1L << 30;

    private final long limit;
    private final String what;
    private long used;

    WorkBudget(long limit, String what) {
        this.limit = limit;
        this.what = what;
    }

    /** The budget of a pickle of {@code bytes} bytes. */
    static WorkBudget forPickle(long bytes) {
        return new WorkBudget(Math.min(CEILING, FLOOR + UNITS_PER_BYTE * bytes),
                "a pickle of " + bytes + " bytes");
    }

    /** Spends {@code units}; refuses once the total passes the limit. */
    void charge(long units) throws PickleException {
        used += units;
        if (used > limit || used < 0) {
            throw new PickleException("builds or copies more than " + limit + " values, far more than " + what
                    + " can hold without re-using memoised data over and over (a decompression bomb?)");
        }
    }

    long used() {
        return used;
    }
}
