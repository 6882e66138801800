package dev.clipengine.kernels;

/**
 * The data-parallel half of one DBSCAN run, as a backend computes it ({@link Backend#dbscan}): the steps of
 * {@code dev.clipengine.segmentation.Dbscan}'s formulation (read its javadoc: Gram matrix and safety band, core points,
 * min-label propagation with pointer jumping, cluster numbering, border points). The host loop that calls them lives
 * there, once, for every backend; the state (adjacency bits, labels) stays where the backend computes until
 * {@link #result()}.
 *
 * <p>Steps are called in this order: {@link #neighbours}, {@link #core}, then {@link #propagate} and {@link #jump}
 * alternately until neither changes a label, then {@link #number}, {@link #labels}, {@link #result}.
 */
public interface DbscanSteps extends AutoCloseable {

    /**
     * The thresholded adjacency: the Gram matrix {@code G = X·Xᵀ} in true fp32 (never TF32/BF16: the band assumes fp32
     * rounding) and the squared norms {@code s_i} in double; {@code i} and {@code j} are neighbours iff
     * {@code d² = s_i + s_j − 2·G_ij <= eps2}, except that pairs with {@code |d² − eps2| <= rel·(s_i + s_j) + absBand}
     * or a non-finite {@code G_ij} are decided by the double-precision distance (and counted in
     * {@link Result#recomputedPairs()}, each unordered pair once). A point is its own neighbour.
     */
    void neighbours(double eps2, double rel, double absBand);

    /** Core points (neighbour count, self included, {@code >= minSamples}); every label starts as its own index. */
    void core(int minSamples);

    /** One sweep: each core point takes the smallest label among itself and its core neighbours; whether any moved. */
    boolean propagate();

    /** Pointer jumping: {@code lab[i] = lab[lab[…]]} down to a label that names itself; whether any moved. */
    boolean jump();

    /** Components numbered 0, 1, … in increasing order of their smallest core index. */
    void number();

    /** Final labels: core points their component's number, border points the lowest among core neighbours, noise -1. */
    void labels();

    /** The labels and bookkeeping, back on the heap. */
    Result result();

    /** Frees what the backend holds for this run. */
    @Override
    void close();

    /**
     * @param labels          {@code 0..clusters-1} in scikit-learn's order, -1 for noise
     * @param core            core flags
     * @param clusters        number of clusters
     * @param recomputedPairs pairs decided by the double-precision distance
     */
    record Result(int[] labels, boolean[] core, int clusters, int recomputedPairs) {
    }
}
