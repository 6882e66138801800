package dev.clipengine.segmentation;

import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Backends;
import dev.clipengine.kernels.DbscanSteps;
import dev.clipengine.kernels.cuda.Kernels;

import java.util.SplittableRandom;

/**
 * DBSCAN on a device: {@link Dbscan}'s algorithm (read its javadoc: Gram matrix, safety band, core points, min-label
 * propagation with pointer jumping, cluster numbering, border points) with its data-parallel steps on a
 * {@link Backend} ({@link Backend#dbscan}; on CUDA the {@code dbscan_*} kernels of {@code clip_kernels.cu}), driven
 * by the one host loop in {@link Dbscan}. The labels are identical to {@link Dbscan#fit} and hence to scikit-learn's.
 *
 * <p>{@link Emulation} is a Java transcription of the CUDA kernels, thread by thread, including their warp-ballot word
 * packing and the arbitrary order and staleness of concurrent label reads; run through the same host loop and checked
 * against the CPU on many inputs ({@code DeviceDbscanTest}), it verifies the device algorithm without a GPU.
 *
 * <p><b>STATUS: the CUDA steps ({@code dev.clipengine.kernels.cuda.CudaDbscan}) have NEVER BEEN EXECUTED</b> (no GPU
 * where they were written); see {@code native-bindings/GPU-TODO.md}.
 */
public final class DeviceDbscan {

    private DeviceDbscan() {
    }

    /** sklearn-identical labels computed with the steps on {@code backend}. */
    public static int[] fit(Backend backend, float[] x, int n, int dim, double eps, int minSamples) {
        return Dbscan.fit(backend, x, n, dim, eps, minSamples);
    }

    public static Dbscan.Result run(Backend backend, float[] x, int n, int dim, double eps, int minSamples) {
        return Dbscan.run(backend, x, n, dim, eps, minSamples);
    }

    /** The host loop of {@link Dbscan} over the emulated device steps. */
    static Dbscan.Result run(Emulation emulation, float[] x, int n, int dim, double eps, int minSamples) {
        Dbscan.validate(x, n, dim, eps, minSamples);
        if (n == 0) return Dbscan.run(x, n, dim, eps, minSamples);   // nothing to put on the device
        emulation.upload(x, n, dim);
        try (emulation) {
            return Dbscan.run(emulation, n, dim, eps, minSamples);
        }
    }

    // -------------------------------------------------------------------------------------------------------------

    /**
     * The kernels of {@code clip_kernels.cu} transcribed to Java, thread by thread. Threads of a "launch" run in a
     * random order, and a read of a label another thread may be writing returns, at random, the value from the start
     * of the launch or the current one: on a GPU either can be seen. Warps are emulated where the kernels use
     * {@code __ballot_sync} (32 lanes → one 32-bit word). The Gram matrix comes from the CPU backend's
     * {@code gemmNT}, an fp32 GEMM with a different summation order than cuBLAS, which the safety band must (and does)
     * absorb.
     */
    static final class Emulation implements DbscanSteps {
        private static final int WARP = 32;

        private final SplittableRandom rnd;
        private float[] x, gram;
        private double[] sq;
        private int n, dim, words, recomputed, clusters;
        private int[] adj, core, coreBits, lab, clusterOf, labels;

        Emulation(long seed) {
            this.rnd = new SplittableRandom(seed);
        }

        void upload(float[] values, int n, int dim) {
            this.n = n;
            this.dim = dim;
            this.words = Kernels.dbscanWords(n);
            this.x = java.util.Arrays.copyOf(values, n * dim);
        }

        private void gram() {
            Backend cpu = Backends.cpu();
            if (dim == 0 || n == 0) {
                gram = new float[n * n];
                return;
            }
            try (Backend.Buffer bx = cpu.upload(x); Backend.Buffer g = cpu.allocate((long) n * n)) {
                cpu.gemmNT(1, n, n, dim, 1f, bx, 0, dim, 0, bx, 0, dim, 0, g, 0, n, 0);
                gram = cpu.download(g);
            }
        }

        private void sqNorms() {
            sq = new double[n];
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int t = 0; t < dim; t++) {
                    double v = x[i * dim + t];
                    s += v * v;
                }
                sq[i] = s;
            }
        }

        /** {@code dbscan_sq_norms}, the Gram GEMM, then {@code dbscan_neighbours}, as the CUDA steps launch them. */
        @Override
        public void neighbours(double eps2, double rel, double absBand) {
            sqNorms();
            gram();
            adj = new int[n * words];
            int threads = 256, blocksX = (n + threads - 1) / threads;
            for (int i = 0; i < n; i++) {                            // blockIdx.y
                for (int warpStart = 0; warpStart < blocksX * threads; warpStart += WARP) {
                    int bits = 0;
                    for (int lane = 0; lane < WARP; lane++) {
                        int j = warpStart + lane;
                        boolean near = false;
                        if (j < n) {
                            if (i == j) {
                                near = true;
                            } else {
                                int a = Math.min(i, j), b = Math.max(i, j);
                                float g = gram[a * n + b];
                                double d2 = sq[a] + sq[b] - 2.0 * g;
                                double band = rel * (sq[a] + sq[b]) + absBand;
                                if (Float.isFinite(g) && Math.abs(d2 - eps2) > band) {
                                    near = d2 <= eps2;
                                } else {
                                    near = Dbscan.exactSquaredDistance(x, dim, a, b) <= eps2;
                                    if (i < j) recomputed++;
                                }
                            }
                        }
                        if (near) bits |= 1 << lane;                   // __ballot_sync
                    }
                    int word = warpStart / WARP;
                    if (word < words) adj[i * words + word] = bits;
                }
            }
        }

        @Override
        public void core(int minSamples) {
            core = new int[n];
            coreBits = new int[words];
            lab = new int[n];
            for (int warpStart = 0; warpStart < words * WARP; warpStart += WARP) {
                int bits = 0;
                for (int lane = 0; lane < WARP; lane++) {
                    int i = warpStart + lane;
                    if (i >= n) continue;
                    int cnt = 0;
                    for (int w = 0; w < words; w++) cnt += Integer.bitCount(adj[i * words + w]);
                    core[i] = cnt >= minSamples ? 1 : 0;
                    lab[i] = i;
                    if (core[i] != 0) bits |= 1 << lane;
                }
                coreBits[warpStart / WARP] = bits;
            }
        }

        /** A read of lab[j] during a launch: the value at launch start or the current one. */
        private int read(int[] snapshot, int j) {
            return rnd.nextBoolean() ? snapshot[j] : lab[j];
        }

        private int[] shuffledThreads() {
            int[] order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            for (int i = n - 1; i > 0; i--) {
                int r = rnd.nextInt(i + 1), t = order[i];
                order[i] = order[r];
                order[r] = t;
            }
            return order;
        }

        @Override
        public boolean propagate() {
            int[] snapshot = lab.clone();
            boolean changed = false;
            for (int i : shuffledThreads()) {
                if (core[i] == 0) continue;
                int m = lab[i];
                for (int w = 0; w < words; w++) {
                    int bits = adj[i * words + w] & coreBits[w];
                    while (bits != 0) {
                        int j = w * WARP + Integer.numberOfTrailingZeros(bits);
                        bits &= bits - 1;
                        int l = read(snapshot, j);
                        if (l < m) m = l;
                    }
                }
                if (m < lab[i]) {
                    lab[i] = Math.min(lab[i], m);                     // atomicMin
                    changed = true;
                }
            }
            return changed;
        }

        @Override
        public boolean jump() {
            int[] snapshot = lab.clone();
            boolean changed = false;
            for (int i : shuffledThreads()) {
                if (core[i] == 0) continue;
                int l = read(snapshot, i);
                int next = read(snapshot, l);
                while (next < l) {
                    l = next;
                    next = read(snapshot, l);
                }
                if (l < read(snapshot, i)) {
                    if (l < lab[i]) lab[i] = l;                       // atomicMin
                    changed = true;
                }
            }
            return changed;
        }

        @Override
        public void number() {
            clusterOf = new int[n];
            int c = 0;
            for (int i = 0; i < n; i++) clusterOf[i] = core[i] != 0 && lab[i] == i ? c++ : -1;
            clusters = c;
        }

        @Override
        public void labels() {
            labels = new int[n];
            for (int i : shuffledThreads()) {
                if (core[i] != 0) {
                    labels[i] = clusterOf[lab[i]];
                    continue;
                }
                int best = -1;
                for (int w = 0; w < words; w++) {
                    int bits = adj[i * words + w] & coreBits[w];
                    while (bits != 0) {
                        int j = w * WARP + Integer.numberOfTrailingZeros(bits);
                        bits &= bits - 1;
                        int c = clusterOf[lab[j]];
                        if (best < 0 || c < best) best = c;
                    }
                }
                labels[i] = best;
            }
        }

        @Override
        public Result result() {
            boolean[] isCore = new boolean[n];
            for (int i = 0; i < n; i++) isCore[i] = core[i] != 0;
            return new Result(labels.clone(), isCore, clusters, recomputed);
        }

        @Override
        public void close() {
            // heap only
        }
    }
}
