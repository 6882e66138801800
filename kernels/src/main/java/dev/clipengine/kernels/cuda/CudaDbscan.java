package dev.clipengine.kernels.cuda;

import dev.clipengine.kernels.DbscanSteps;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * {@link DbscanSteps} on the device, one kernel (or cuBLAS call) per step, the kernels of {@code clip_kernels.cu}
 * ({@code dbscan_*}). Adjacency is a bit matrix of 32-bit words; the "changed" flag of a sweep is read back after it
 * (the host loop needs it). The Gram matrix always uses true fp32 ({@link CudaBackend#gemmNTFp32}), whatever the
 * backend's precision: the safety band of the neighbour test assumes fp32 rounding.
 *
 * <p>The same kernels transcribed to Java, thread by thread with random scheduling and stale reads
 * ({@code dev.clipengine.segmentation.DeviceDbscan.Emulation}), are checked against the CPU on every build.
 * <b>These device steps have NEVER BEEN EXECUTED</b> (no GPU where they were written); see
 * {@code native-bindings/GPU-TODO.md}.
 */
public final class CudaDbscan implements DbscanSteps {

    private static final long CHANGED = 0, RECOMPUTED = 4, CLUSTERS = 8;

    private final CudaBackend cuda;
    private final Kernels k;
    private final int n, dim;
    private final DeviceMemory x, gram, sq, adj, core, coreBits, lab, clusterOf, labels, scalars;

    CudaDbscan(CudaBackend cuda, float[] values, int n, int dim) {
        if (n < 1 || dim < 0) throw new IllegalArgumentException("DBSCAN on the device needs n >= 1, dim >= 0: n=" + n + " dim=" + dim);
        if (values.length < (long) n * dim) {
            throw new IllegalArgumentException("x holds " + values.length + " values, need n*dim=" + (long) n * dim);
        }
        this.cuda = cuda;
        this.k = cuda.kernels();
        this.n = n;
        this.dim = dim;
        int words = Kernels.dbscanWords(n);
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
        if (dim > 0) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocate(JAVA_FLOAT, (long) n * dim);
                MemorySegment.copy(values, 0, host, JAVA_FLOAT, 0, n * dim);
                cuda.copyIn(host, x, 0, 4L * n * dim);
            }
        }
    }

    @Override
    public void neighbours(double eps2, double rel, double absBand) {
        k.dbscanSqNorms(x.atByte(0), n, dim, sq.atByte(0));
        if (dim == 0) {
            cuda.zeroBytes(gram, 0, 4L * n * n);     // every point coincides
        } else {
            cuda.gemmNTFp32(n, n, dim, 1f, x, 0, dim, x, 0, dim, gram, 0, n);
        }
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
    public Result result() {
        int[] out = cuda.downloadInts(labels, 0, n);
        int[] coreFlags = cuda.downloadInts(core, 0, n);
        int[] s = cuda.downloadInts(scalars, 0, 3);
        boolean[] isCore = new boolean[n];
        for (int i = 0; i < n; i++) isCore[i] = coreFlags[i] != 0;
        return new Result(out, isCore, s[2], s[1]);
    }

    @Override
    public void close() {
        for (DeviceMemory m : new DeviceMemory[] {x, gram, sq, adj, core, coreBits, lab, clusterOf, labels, scalars}) {
            m.close();
        }
    }
}
