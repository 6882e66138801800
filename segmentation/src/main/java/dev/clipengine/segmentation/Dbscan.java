package dev.clipengine.segmentation;

import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Backends;
import dev.clipengine.kernels.DbscanSteps;

/**
 * DBSCAN with scikit-learn's labels ({@code sklearn.cluster.DBSCAN(eps, min_samples).fit_predict}, Euclidean metric),
 * written as a handful of data-parallel passes so that every step maps onto a GPU.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li><b>Gram matrix</b> {@code G = X·Xᵀ} in fp32 (on the CPU one {@code gemmNT} per block of 256 rows, so memory
 *       is {@code 256·n} floats plus an {@code n²}-bit adjacency matrix, not {@code n²} floats).</li>
 *   <li><b>Squared norms</b> {@code s_i = Σ_k x_ik²} in double.</li>
 *   <li><b>Neighbour test</b> for each pair {@code i ≤ j}: {@code d² = s_i + s_j − 2·G_ij}; neighbour iff
 *       {@code d² ≤ eps²} (inclusive; a point is its own neighbour). Because {@code G_ij} carries fp32 rounding error,
 *       pairs with {@code |d² − eps²| ≤ band_ij} (see below), and pairs where anything is not finite, are decided again
 *       with the double-precision distance {@code Σ_k (x_ik − x_jk)²}. Only pairs within the band are recomputed, so
 *       the decision equals the float64 decision sklearn makes for every pair except exact ties at the level of
 *       double rounding (sklearn itself evaluates {@code ‖a‖² − 2a·b + ‖b‖²} in float64, which can round such a
 *       tie either way; our recomputation is the more accurate of the two).</li>
 *   <li><b>Core points</b>: neighbour count (self included) {@code ≥ minSamples}.</li>
 *   <li><b>Components</b> of the graph of core points joined by core–core neighbour edges, by min-label propagation
 *       to a fixed point: every core point starts with its own index as label; a sweep sets each core label to the
 *       minimum over itself and its core neighbours, then shortcuts {@code lab[i] = lab[lab[i]]} (pointer jumping;
 *       labels only decrease and always name a core point of the same component, so {@code lab[lab[i]] ≤ lab[i]}).
 *       Sweeps repeat until nothing changes. The fixed point is unique whatever the visiting order (every label of a
 *       component equals the component's smallest core index), so on a GPU one thread per point with
 *       {@code atomicMin} gives the same result as this sequential loop.</li>
 *   <li><b>Cluster numbers</b>: components are numbered 0, 1, … in increasing order of their smallest core index
 *       (a prefix sum over "core point whose label is itself").</li>
 *   <li><b>Border points</b>: a non-core point with at least one core neighbour takes the lowest cluster number among
 *       its core neighbours; all other non-core points are noise, {@code -1}.</li>
 * </ol>
 *
 * <h2>Why this equals sklearn's {@code dbscan_inner}</h2>
 * sklearn visits {@code i = 0..n-1}; at the first unlabelled core point it opens cluster {@code next} and flood-fills:
 * a popped point without a label takes {@code next}, and only core points push their unlabelled neighbours.
 * <ul>
 *   <li>The fill from core {@code i} labels exactly the core points of {@code i}'s core component (core points are
 *       only pushed by core neighbours, and every core point of the component is reached through core–core edges).
 *       A core point is never labelled by another component's fill. Hence a fill starts at core {@code i} only if no
 *       smaller core index of the same component exists (it would have labelled {@code i} already): clusters are
 *       numbered in increasing order of the component's smallest core index — our step 5.</li>
 *   <li>A border point is labelled by the first fill that pushes it, i.e. by the earliest-numbered component having a
 *       core neighbour of it, and is never relabelled — our step 6 (lowest cluster number among core neighbours).
 *       Traversal order inside a fill cannot change this because fills run one after the other.</li>
 *   <li>Non-core points with no core neighbour are never pushed: noise.</li>
 * </ul>
 *
 * <h2>Safety band for the fp32 Gram matrix</h2>
 * The inputs are fp32 values, so {@code s_i} (double) is nearly exact. For a dot product of length {@code k} evaluated
 * in fp32 in <i>any</i> summation order (sequential, blocked, pairwise, with or without FMA) the classical bound is
 * {@code |fl(a·b) − a·b| ≤ γ_k Σ|a_t||b_t| ≤ γ_k ‖a‖‖b‖ ≤ γ_k (‖a‖² + ‖b‖²)/2}, with {@code γ_k = k·u/(1 − k·u)},
 * {@code u = 2⁻²⁴}. So {@code |Δd²| = 2|ΔG| ≤ γ_k (s_i + s_j)}. We use twice that,
 * {@code band = 2·γ_{k+2}·(s_i + s_j) + 4·k·2⁻¹⁴⁹} (the last term covers fp32 underflow of tiny products; the doubled
 * factor and {@code k+2} cover the few double roundings when forming {@code d²}). Pairs farther than {@code band} from
 * {@code eps²} are decided correctly by the fp32 Gram value; all others are recomputed in double. The bound assumes the
 * GEMM really computes in fp32 (no TF32/bf16 shortcuts).
 *
 * <h2>One algorithm, any backend</h2>
 * The steps above are data-parallel and run where a {@link Backend} computes ({@link Backend#dbscan}, the
 * {@link DbscanSteps}); the loop that drives them, the same for every backend, is {@link #run(Backend, float[], int,
 * int, double, int)}. {@link #fit(float[], int, int, double, int)} runs them on the CPU. {@link DeviceDbscan} has a
 * thread-by-thread Java transcription of the CUDA kernels that is checked against the CPU.
 *
 * <p>Input validation: NaN or infinite coordinates and NaN/negative eps are rejected ({@code eps = +∞} makes every pair
 * neighbours; sklearn requires {@code eps > 0} but {@code eps = 0} is accepted here: only identical points are
 * neighbours). {@code n = 0} gives an empty result; {@code dim = 0} means every point coincides.
 */
public final class Dbscan {

    private static final double U = 0x1p-24;

    private Dbscan() {
    }

    /** Labels plus the bookkeeping a caller may want to report. */
    public record Result(int[] labels, int clusters, int noise, boolean[] core, int recomputedPairs) {
    }

    /**
     * sklearn-identical DBSCAN labels, on the CPU.
     *
     * @param x          {@code n × dim} row-major samples (fp32); only the first {@code n·dim} values are read
     * @param eps        neighbourhood radius (inclusive)
     * @param minSamples minimum neighbourhood size (self included) for a core point, {@code ≥ 1}
     * @return labels {@code 0..K-1} numbered in sklearn order, {@code -1} = noise
     */
    public static int[] fit(float[] x, int n, int dim, double eps, int minSamples) {
        return run(x, n, dim, eps, minSamples).labels();
    }

    /** As {@link #fit} but also reports cluster/noise counts, core flags and how many pairs were recomputed. */
    public static Result run(float[] x, int n, int dim, double eps, int minSamples) {
        return run(Backends.cpu(), x, n, dim, eps, minSamples);
    }

    /** {@link #fit(float[], int, int, double, int)} with the steps on {@code backend}: the same labels. */
    public static int[] fit(Backend backend, float[] x, int n, int dim, double eps, int minSamples) {
        return run(backend, x, n, dim, eps, minSamples).labels();
    }

    /** {@link #run(float[], int, int, double, int)} with the steps on {@code backend}. */
    public static Result run(Backend backend, float[] x, int n, int dim, double eps, int minSamples) {
        validate(x, n, dim, eps, minSamples);
        if (n == 0) return new Result(new int[0], 0, 0, new boolean[0], 0);
        try (DbscanSteps steps = backend.dbscan(x, n, dim)) {
            return run(steps, n, dim, eps, minSamples);
        }
    }

    static void validate(float[] x, int n, int dim, double eps, int minSamples) {
        if (n < 0 || dim < 0) throw new IllegalArgumentException("negative size: n=" + n + " dim=" + dim);
        if (Double.isNaN(eps) || eps < 0) throw new IllegalArgumentException("eps must be >= 0, got " + eps);
        if (minSamples < 1) throw new IllegalArgumentException("minSamples must be >= 1, got " + minSamples);
        long need = (long) n * dim;
        if (x == null || x.length < need) {
            throw new IllegalArgumentException("x holds " + (x == null ? 0 : x.length) + " values, need n*dim=" + need);
        }
        for (long t = 0; t < need; t++) {
            float v = x[(int) t];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("non-finite input value " + v + " at sample " + (t / dim)
                        + ", feature " + (t % dim));
            }
        }
    }

    /**
     * The host loop over a backend's steps (inputs validated, {@code n ≥ 1}): the band of the class comment, core
     * points, propagation and pointer jumping to the fixed point, numbering, labels.
     */
    static Result run(DbscanSteps steps, int n, int dim, double eps, int minSamples) {
        double gamma = (dim + 2) * U / (1 - (dim + 2) * U);
        steps.neighbours(eps * eps, 2 * gamma, 4.0 * dim * Float.MIN_VALUE);
        steps.core(minSamples);
        // Every productive sweep lowers at least one label, and labels are bounded below, so this terminates; the
        // cap only guards against a device fault turning into an endless loop.
        long sweeps = 0, cap = 2L * n + 4;
        while (true) {
            boolean a = steps.propagate();
            boolean b = steps.jump();
            if (!a && !b) break;
            if (++sweeps > cap) throw new IllegalStateException("DBSCAN label propagation did not converge in " + cap + " sweeps");
        }
        steps.number();
        steps.labels();
        DbscanSteps.Result r = steps.result();
        int noise = 0;
        for (int l : r.labels()) if (l < 0) noise++;
        return new Result(r.labels(), r.clusters(), noise, r.core(), r.recomputedPairs());
    }

    /** {@code Σ (x_i − x_j)²} in double (differences of fp32 values are formed in double). */
    static double exactSquaredDistance(float[] x, int dim, int i, int j) {
        double s = 0;
        for (int t = 0, a = i * dim, b = j * dim; t < dim; t++) {
            double d = (double) x[a + t] - (double) x[b + t];
            s += d * d;
        }
        return s;
    }
}
