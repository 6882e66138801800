package dev.clipengine.kernels;

import java.util.Arrays;

/**
 * {@link DbscanSteps} on the CPU: the adjacency as 64-bit words, the Gram matrix made {@link #ROW_BLOCK} rows at a
 * time (memory {@code ROW_BLOCK·n} floats plus the {@code n²}-bit adjacency, not {@code n²} floats), sweeps run in
 * index order updating labels in place. Reads {@code x} where it is (the caller keeps it unchanged during the run).
 */
final class CpuDbscan implements DbscanSteps {

    /** Rows of the Gram matrix computed per GEMM call. */
    static final int ROW_BLOCK = 256;

    private final CpuBackend cpu;
    private final float[] x;
    private final int n, dim, words;
    private final long[] adj;
    private long[] coreBits;
    private boolean[] core;
    private int[] lab, clusterOf, labels;
    private int recomputed, clusters;

    CpuDbscan(CpuBackend cpu, float[] x, int n, int dim) {
        if (n < 0 || dim < 0) throw new IllegalArgumentException("negative size: n=" + n + " dim=" + dim);
        if (x.length < (long) n * dim) {
            throw new IllegalArgumentException("x holds " + x.length + " values, need n*dim=" + (long) n * dim);
        }
        this.cpu = cpu;
        this.x = x;
        this.n = n;
        this.dim = dim;
        this.words = (n + 63) >>> 6;
        this.adj = new long[Math.multiplyExact(n, words)];   // bit j of row i: j is a neighbour of i
    }

    @Override
    public void neighbours(double eps2, double rel, double absBand) {
        double[] sq = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int t = 0, o = i * dim; t < dim; t++) {
                double v = x[o + t];
                s += v * v;
            }
            sq[i] = s;
        }
        int block = Math.min(ROW_BLOCK, n);
        float[] g = new float[block * n];
        for (int r0 = 0; r0 < n; r0 += block) {
            int rows = Math.min(block, n - r0);
            if (dim > 0) {
                cpu.gemmNT(rows, n, dim, 1f, x, r0 * dim, dim, x, 0, dim, g, 0, n);
            } else {
                Arrays.fill(g, 0f);
            }
            for (int ii = 0; ii < rows; ii++) {
                int i = r0 + ii;
                setBit(i, i);
                for (int j = i + 1; j < n; j++) {
                    float gij = g[ii * n + j];
                    double d2 = sq[i] + sq[j] - 2.0 * gij;
                    double band = rel * (sq[i] + sq[j]) + absBand;
                    boolean near;
                    if (Float.isFinite(gij) && Math.abs(d2 - eps2) > band) {   // NaN/overflow: recompute
                        near = d2 <= eps2;
                    } else {
                        near = exactSquaredDistance(i, j) <= eps2;
                        recomputed++;
                    }
                    if (near) {
                        setBit(i, j);
                        setBit(j, i);
                    }
                }
            }
        }
    }

    /** {@code Σ (x_i − x_j)²} in double (differences of fp32 values are formed in double). */
    private double exactSquaredDistance(int i, int j) {
        double s = 0;
        for (int t = 0, a = i * dim, b = j * dim; t < dim; t++) {
            double d = (double) x[a + t] - (double) x[b + t];
            s += d * d;
        }
        return s;
    }

    private void setBit(int row, int col) {
        adj[row * words + (col >>> 6)] |= 1L << col;
    }

    @Override
    public void core(int minSamples) {
        core = new boolean[n];
        coreBits = new long[words];
        lab = new int[n];
        for (int i = 0; i < n; i++) {
            int cnt = 0;
            for (int w = 0; w < words; w++) cnt += Long.bitCount(adj[i * words + w]);
            core[i] = cnt >= minSamples;
            if (core[i]) coreBits[i >>> 6] |= 1L << i;
            lab[i] = i;
        }
    }

    @Override
    public boolean propagate() {
        boolean changed = false;
        for (int i = 0; i < n; i++) {                       // data-parallel over i on a GPU
            if (!core[i]) continue;
            int m = lab[i];
            for (int w = 0; w < words; w++) {
                long bits = adj[i * words + w] & coreBits[w];
                while (bits != 0) {
                    int j = (w << 6) + Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    if (lab[j] < m) m = lab[j];
                }
            }
            if (m < lab[i]) {
                lab[i] = m;
                changed = true;
            }
        }
        return changed;
    }

    @Override
    public boolean jump() {
        boolean changed = false;
        for (int i = 0; i < n; i++) {
            if (!core[i]) continue;
            int l = lab[i];
            while (lab[l] < l) l = lab[l];
            if (l != lab[i]) {
                lab[i] = l;
                changed = true;
            }
        }
        return changed;
    }

    @Override
    public void number() {
        clusterOf = new int[n];
        Arrays.fill(clusterOf, -1);
        int k = 0;
        for (int i = 0; i < n; i++) if (core[i] && lab[i] == i) clusterOf[i] = k++;
        clusters = k;
    }

    @Override
    public void labels() {
        labels = new int[n];
        for (int i = 0; i < n; i++) {
            if (core[i]) {
                labels[i] = clusterOf[lab[i]];
                continue;
            }
            int best = -1;
            for (int w = 0; w < words; w++) {
                long bits = adj[i * words + w] & coreBits[w];
                while (bits != 0) {
                    int j = (w << 6) + Long.numberOfTrailingZeros(bits);
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
        return new Result(labels, core, clusters, recomputed);
    }

    @Override
    public void close() {
        // heap only
    }
}
