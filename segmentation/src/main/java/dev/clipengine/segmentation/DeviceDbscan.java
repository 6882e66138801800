package dev.clipengine.segmentation;

import dev.clipengine.kernels.CpuBackend;
import dev.clipengine.kernels.cuda.CudaBackend;
import dev.clipengine.kernels.cuda.DeviceMemory;
import dev.clipengine.kernels.cuda.Kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * DBSCAN on the GPU in exactly {@link Dbscan}'s formulation (read its javadoc: Gram matrix, safety band, core points,
 * min-label propagation with pointer jumping, cluster numbering, border points), so the labels are identical to
 * {@link Dbscan#fit} and hence to scikit-learn's.
 *
 * <p>The host side ({@link #run}) is shared by two implementations of the device {@link Steps}: {@link CudaSteps},
 * which launches the kernels of {@code clip_kernels.cu}, and {@link Emulation}, a Java transcription of the same
 * kernels, thread by thread, including their warp-ballot word packing and the arbitrary order and staleness of
 * concurrent label reads. The emulation is checked against {@link Dbscan#run} on many inputs
 * ({@code DeviceDbscanTest}), which verifies the algorithm and the host loop without a GPU.
 *
 * <p><b>STATUS: {@link CudaSteps} has NEVER BEEN EXECUTED</b> (no GPU where it was written); see
 * {@code native-bindings/GPU-TODO.md}.
 */
public final class DeviceDbscan {

    private static final double U = 0x1p-24;

    private DeviceDbscan() {
    }

    /** The device work, one method per kernel (or cuBLAS call). */
    interface Steps extends AutoCloseable {
        void upload(float[] x, int n, int dim);

        /** {@code G = X·Xᵀ} in true fp32. */
        void gram();

        void sqNorms();

        void neighbours(double eps2, double rel, double absBand);

        void core(int minSamples);

        /** One min-label sweep; whether any label changed. */
        boolean propagate();

        /** One pointer-jumping pass; whether any label changed. */
        boolean jump();

        void number();

        void labels();

        Dbscan.Result result();

        @Override
        void close();
    }

    /** sklearn-identical labels computed on the device of {@code cuda}. */
    public static int[] fit(CudaBackend cuda, float[] x, int n, int dim, double eps, int minSamples) {
        return run(cuda, x, n, dim, eps, minSamples).labels();
    }

    public static Dbscan.Result run(CudaBackend cuda, float[] x, int n, int dim, double eps, int minSamples) {
        if (n == 0) return Dbscan.run(x, n, dim, eps, minSamples);   // nothing to put on the device
        try (CudaSteps steps = new CudaSteps(cuda, n, dim)) {
            return run(steps, x, n, dim, eps, minSamples);
        }
    }

    /** The host loop, shared by the device and the emulation. */
    static Dbscan.Result run(Steps steps, float[] x, int n, int dim, double eps, int minSamples) {
        validate(x, n, dim, eps, minSamples);
        steps.upload(x, n, dim);
        steps.sqNorms();
        steps.gram();
        // the band of Dbscan's javadoc, the same numbers as Dbscan.neighbours
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
        return steps.result();
    }

    private static void validate(float[] x, int n, int dim, double eps, int minSamples) {
        if (n < 0 || dim < 0) throw new IllegalArgumentException("negative size: n=" + n + " dim=" + dim);
        if (Double.isNaN(eps) || eps < 0) throw new IllegalArgumentException("eps must be >= 0, got " + eps);
        if (minSamples < 1) throw new IllegalArgumentException("minSamples must be >= 1, got " + minSamples);
        long need = (long) n * dim;
        if (x == null || x.length < need) {
            throw new IllegalArgumentException("x holds " + (x == null ? 0 : x.length) + " values, need n*dim=" + need);
        }
        for (long t = 0; t < need; t++) {
            if (!Float.isFinite(x[(int) t])) {
                throw new IllegalArgumentException("non-finite input value " + x[(int) t] + " at sample " + (t / dim)
                        + ", feature " + (t % dim));
            }
        }
    }

    // -------------------------------------------------------------------------------------------------------------

    /** The steps on a GPU. NEVER EXECUTED (see the class comment). */
    static final class CudaSteps implements Steps {
        private final CudaBackend cuda;
        private final Kernels k;
        private final int n, dim, words;
        private final DeviceMemory x, gram, sq, adj, core, coreBits, lab, clusterOf, labels, scalars;
        private static final long CHANGED = 0, RECOMPUTED = 4, CLUSTERS = 8;

        CudaSteps(CudaBackend cuda, int n, int dim) {
            this.cuda = cuda;
            this.k = cuda.kernels();
            this.n = n;
            this.dim = dim;
            this.words = Kernels.dbscanWords(n);
            this.x = cuda.allocateBytes(4L * Math.max(1, (long) n * dim));
            this.gram = cuda.allocateBytes(4L * n * n);
            this.sq = cuda.allocateBytes(8L * n);
            this.adj = cuda.allocateBytes(4L * n * words);
            this.core = cuda.allocateBytes(4L * n);
            this.coreBits = cuda.allocateBytes(4L * words);
            this.lab = cuda.allocateBytes(4L * n);
            this.clusterOf = cuda.allocateBytes(4L * n);
            this.labels = cuda.allocateBytes(4L * n);
            this.scalars = cuda.allocateBytes(16);
            cuda.zeroBytes(scalars, 0, 16);
        }

        @Override
        public void upload(float[] values, int n, int dim) {
            if (dim == 0) return;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocate(JAVA_FLOAT, (long) n * dim);
                MemorySegment.copy(values, 0, host, JAVA_FLOAT, 0, n * dim);
                cuda.copyIn(host, x, 0, 4L * n * dim);
            }
        }

        @Override
        public void gram() {
            if (dim == 0) {
                cuda.zeroBytes(gram, 0, 4L * n * n);     // every point coincides
                return;
            }
            cuda.gemmNTFp32(n, n, dim, 1f, x, 0, dim, x, 0, dim, gram, 0, n);
        }

        @Override
        public void sqNorms() {
            k.dbscanSqNorms(x.atByte(0), n, dim, sq.atByte(0));
        }

        @Override
        public void neighbours(double eps2, double rel, double absBand) {
            k.dbscanNeighbours(x.atByte(0), gram.atByte(0), sq.atByte(0), n, dim, eps2, rel, absBand, adj.atByte(0),
                    scalars.atByte(RECOMPUTED));
        }

        @Override
        public void core(int minSamples) {
            k.dbscanCore(adj.atByte(0), n, minSamples, core.atByte(0), coreBits.atByte(0), lab.atByte(0));
        }

        private boolean changed() {
            return cuda.downloadInts(scalars, CHANGED, 1)[0] != 0;
        }

        @Override
        public boolean propagate() {
            cuda.zeroBytes(scalars, CHANGED, 4);
            k.dbscanPropagate(adj.atByte(0), coreBits.atByte(0), core.atByte(0), n, lab.atByte(0), scalars.atByte(CHANGED));
            return changed();
        }

        @Override
        public boolean jump() {
            cuda.zeroBytes(scalars, CHANGED, 4);
            k.dbscanJump(core.atByte(0), n, lab.atByte(0), scalars.atByte(CHANGED));
            return changed();
        }

        @Override
        public void number() {
            k.dbscanNumber(core.atByte(0), lab.atByte(0), n, clusterOf.atByte(0), scalars.atByte(CLUSTERS));
        }

        @Override
        public void labels() {
            k.dbscanLabels(adj.atByte(0), coreBits.atByte(0), core.atByte(0), lab.atByte(0), clusterOf.atByte(0), n,
                    labels.atByte(0));
        }

        @Override
        public Dbscan.Result result() {
            int[] out = cuda.downloadInts(labels, 0, n);
            int[] coreFlags = cuda.downloadInts(core, 0, n);
            int[] s = cuda.downloadInts(scalars, 0, 3);
            boolean[] isCore = new boolean[n];
            int noise = 0;
            for (int i = 0; i < n; i++) {
                isCore[i] = coreFlags[i] != 0;
                if (out[i] < 0) noise++;
            }
            return new Dbscan.Result(out, s[2], noise, isCore, s[1]);
        }

        @Override
        public void close() {
            for (DeviceMemory m : new DeviceMemory[] {x, gram, sq, adj, core, coreBits, lab, clusterOf, labels, scalars}) {
                m.close();
            }
        }
    }

    // -------------------------------------------------------------------------------------------------------------

    /**
     * The kernels of {@code clip_kernels.cu} transcribed to Java, thread by thread. Threads of a "launch" run in a
     * random order, and a read of a label another thread may be writing returns, at random, the value from the start
     * of the launch or the current one: on a GPU either can be seen. Warps are emulated where the kernels use
     * {@code __ballot_sync} (32 lanes → one 32-bit word). The Gram matrix comes from {@link CpuBackend#gemmNT}, an
     * fp32 GEMM with a different summation order than cuBLAS, which the safety band must (and does) absorb.
     */
    static final class Emulation implements Steps {
        private static final int WARP = 32;

        private final SplittableRandom rnd;
        private float[] x, gram;
        private double[] sq;
        private int n, dim, words, recomputed, clusters;
        private int[] adj, core, coreBits, lab, clusterOf, labels;

        Emulation(long seed) {
            this.rnd = new SplittableRandom(seed);
        }

        @Override
        public void upload(float[] values, int n, int dim) {
            this.n = n;
            this.dim = dim;
            this.words = Kernels.dbscanWords(n);
            this.x = java.util.Arrays.copyOf(values, n * dim);
        }

        @Override
        public void gram() {
            gram = new float[n * n];
            if (dim > 0 && n > 0) CpuBackend.shared().gemmNT(n, n, dim, 1f, x, 0, dim, x, 0, dim, gram, 0, n);
        }

        @Override
        public void sqNorms() {
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

        @Override
        public void neighbours(double eps2, double rel, double absBand) {
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
        public Dbscan.Result result() {
            boolean[] isCore = new boolean[n];
            int noise = 0;
            for (int i = 0; i < n; i++) {
                isCore[i] = core[i] != 0;
                if (labels[i] < 0) noise++;
            }
            return new Dbscan.Result(labels.clone(), clusters, noise, isCore, recomputed);
        }

        @Override
        public void close() {
            // heap only
        }
    }
}
