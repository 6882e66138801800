package dev.clipengine.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A linear layer's weight ({@code N×K}, PyTorch layout) packed once into the GEMM's panel layout, widened to fp32 on
 * the heap. Packing on every call costs O(N·K) against an O(M·N·K) product, which for ViT-B/16's 197 tokens is a
 * fifth of the GEMM: an inference engine re-uses its weights, so it packs them once (ONNX Runtime pre-packs too).
 *
 * <p>The price is memory: 4 bytes per weight on the heap, on top of the mapped file. {@link #tryPack} therefore packs
 * only while all packed weights together stay within {@link #budget()}, a share of the heap; past it callers keep
 * packing on the fly, so a small {@code -Xmx} degrades speed gracefully, never into an OutOfMemoryError or a
 * collector that never stops marking. A packing stops counting when the weights it was made from are closed
 * (the model's mapping) or when it is collected, so loading and closing models in one JVM never runs the budget
 * out.
 *
 * <p>Layout: panel p (output columns {@code [p·NR, p·NR+NR)}) starts at {@code p·NR·K}; within it, element
 * (k, j) is at {@code k·NR + j}, i.e. every depth block is exactly what {@link PanelPacker#pack} would produce.
 */
public final class PackedLinear {

    /**
     * Share of the maximum heap all packed weights of the process may take ({@code -Dclipengine.packedHeapShare=S},
     * 0 turns pre-packing off).
     */
    static final double HEAP_SHARE = Double.parseDouble(System.getProperty("clipengine.packedHeapShare", "0.4"));

    private static final AtomicLong PACKED_BYTES = new AtomicLong();
    /** The packings counted in {@link #PACKED_BYTES}, until their model closes. */
    private static final Queue<Reservation> LIVE = new ConcurrentLinkedQueue<>();

    private final float[] data;
    private final int rows, cols;

    private PackedLinear(float[] data, int rows, int cols) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
    }

    /** Packs {@code w} unconditionally (reads it on the calling thread, so confined segments are fine). */
    public static PackedLinear of(WeightMatrix w) {
        return of(w, null);
    }

    /**
     * Packs {@code w}, its panels spread over {@code pool} when one is given and the weights may be read from any
     * thread. Packing happens on the first forward pass that uses the weights, on its critical path: a ViT-B/16
     * image tower takes about 0.3 s to pack on one core, as long as a warm forward at 224 px. Every panel is
     * written by exactly one chunk with the same code, so the result is the same whichever thread packs it.
     */
    static PackedLinear of(WeightMatrix w, WorkPool pool) {
        int n = w.rows(), k = w.cols();
        int panels = (n + Gemm.NR - 1) / Gemm.NR;
        float[] data = new float[Math.multiplyExact(Math.multiplyExact(panels, Gemm.NR), k)];
        IntRange body = (from, to) -> {
            PanelPacker packer = PanelPacker.weightRowsAreOutputs(w);
            float[] block = new float[Gemm.NR * Gemm.KC];
            for (int p = from; p < to; p++) {
                int n0 = p * Gemm.NR, width = Math.min(Gemm.NR, n - n0);
                for (int k0 = 0; k0 < k; k0 += Gemm.KC) {   // the layout does not depend on the block size
                    int kc = Math.min(Gemm.KC, k - k0);
                    packer.pack(n0, width, k0, kc, block);
                    System.arraycopy(block, 0, data, p * Gemm.NR * k + k0 * Gemm.NR, Gemm.NR * kc);
                }
            }
        };
        if (pool == null || pool.threads() == 1 || !readableFromAnyThread(w)) {
            body.run(0, panels);
        } else {
            pool.run(panels, 2 * pool.threads(), body);
        }
        return new PackedLinear(data, n, k);
    }

    /** A thread that never runs: a segment it may read is not confined to its owner. */
    private static final Thread ANY_OTHER_THREAD = Thread.ofVirtual().unstarted(() -> { });

    private static boolean readableFromAnyThread(WeightMatrix w) {
        return w.data().isAccessibleBy(ANY_OTHER_THREAD);
    }

    /**
     * Packs {@code w} if the process's packed weights stay within {@link #HEAP_SHARE} of the maximum heap, else
     * returns null (the caller multiplies with {@code w} itself, packing on the fly).
     */
    public static PackedLinear tryPack(WeightMatrix w) {
        return tryPack(w, null);
    }

    /** As {@link #tryPack(WeightMatrix)}, packing on {@code pool} (see {@link #of(WeightMatrix, WorkPool)}). */
    static PackedLinear tryPack(WeightMatrix w, WorkPool pool) {
        long bytes = 4L * ((w.rows() + Gemm.NR - 1) / Gemm.NR) * Gemm.NR * w.cols();
        if (!reserve(bytes)) return null;
        PackedLinear p = of(w, pool);
        LIVE.add(new Reservation(w.data().scope(), new WeakReference<>(p), bytes));
        return p;
    }

    /**
     * Bytes of packed weights counted against the budget now (for tests and diagnostics). Packings whose
     * model was closed are subtracted first.
     */
    public static long packedBytes() {
        release();
        return PACKED_BYTES.get();
    }

    /**
     * What one {@link #tryPack} counted, and what ends it: the weights' memory closing (a model's
     * {@code close()} closes the mapping its weights are slices of) or the packed copy being collected
     * (weights on the heap have no scope that closes). Holds no reference to the packed data.
     */
    private record Reservation(MemorySegment.Scope source, WeakReference<PackedLinear> packed, long bytes) {
        boolean ended() {
            return !source.isAlive() || packed.refersTo(null);
        }
    }

    /** Returns the bytes of every ended reservation to the budget. */
    static void release() {
        for (Reservation r : LIVE) {
            if (r.ended() && LIVE.remove(r)) PACKED_BYTES.addAndGet(-r.bytes());
        }
    }

    /** Heap kept free of packed weights: below this much heap, nothing is pre-packed. */
    static final long HEAP_RESERVED = 512L << 20;

    /**
     * {@link #HEAP_SHARE} of the heap above {@link #HEAP_RESERVED}. Packed weights are long-lived: on a small heap
     * they keep the occupancy above G1's marking threshold, and the back-to-back concurrent cycles that follow take
     * the cores from the computation (measured: {@code segment} at 336 px in {@code -Xmx256m} went from 0.29 s to
     * 0.48 s with 40 % of the heap packed). A heap that small runs faster packing per call.
     */
    static long budget() {
        return (long) (Math.max(0, Runtime.getRuntime().maxMemory() - HEAP_RESERVED) * HEAP_SHARE);
    }

    /**
     * Counts {@code bytes} against the budget if they fit (packed weights live as long as their model). When they
     * do not, what closed models held is given back first: the budget outlived the models that spent it (from the
     * 7th ViT-B/16 load in one JVM nothing was packed any more and encoding slowed).
     */
    static boolean reserve(long bytes) {
        if (tryReserve(bytes)) return true;
        release();
        return tryReserve(bytes);
    }

    private static boolean tryReserve(long bytes) {
        long budget = budget();
        long used;
        do {
            used = PACKED_BYTES.get();
            if (used + bytes > budget) return false;
        } while (!PACKED_BYTES.compareAndSet(used, used + bytes));
        return true;
    }

    /** Output features N. */
    public int rows() {
        return rows;
    }

    /** Input features K. */
    public int cols() {
        return cols;
    }

    float[] data() {
        return data;
    }

    /** Where the depth block starting at {@code k0} of the panel starting at column {@code n0} begins. */
    int offset(int n0, int k0) {
        return n0 * cols + k0 * Gemm.NR;
    }
}
