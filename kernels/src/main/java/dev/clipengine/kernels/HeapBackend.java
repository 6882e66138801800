package dev.clipengine.kernels;

import java.util.Arrays;
import java.util.Objects;

/**
 * {@link Backend} over {@link CpuBackend}: buffers are {@code float[]} on the Java heap, weights are the
 * {@link WeightMatrix} itself (no copy). It adds nothing to the CPU kernels; it exists so code written against
 * {@code Backend} runs on the CPU today and so the CUDA backend has a reference implementation of the same interface
 * ({@code BackendContractTest}). See {@link Backend} for the migration plan.
 */
public final class HeapBackend implements Backend {

    private final CpuBackend cpu;

    public HeapBackend(CpuBackend cpu) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
    }

    /** Over the process-wide {@link CpuBackend#shared()}. */
    public HeapBackend() {
        this(CpuBackend.shared());
    }

    /** A heap buffer; {@link #data()} is the live array. */
    public record HeapBuffer(float[] data) implements Buffer {
        @Override
        public long length() {
            return data.length;
        }

        @Override
        public void close() {
            // garbage collected
        }
    }

    private record HeapWeights(WeightMatrix matrix) implements Weights {
        @Override
        public int rows() {
            return matrix.rows();
        }

        @Override
        public int cols() {
            return matrix.cols();
        }
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Buffer allocate(long floats) {
        return new HeapBuffer(new float[Math.toIntExact(floats)]);
    }

    @Override
    public Buffer upload(float[] src, int off, int len) {
        return new HeapBuffer(Arrays.copyOfRange(src, off, off + len));
    }

    @Override
    public void write(float[] src, int off, int len, Buffer dst, long dstOff) {
        System.arraycopy(src, off, a(dst), i(dstOff), len);
    }

    @Override
    public void download(Buffer src, long srcOff, float[] dst, int off, int len) {
        System.arraycopy(a(src), i(srcOff), dst, off, len);
    }

    @Override
    public void copy(Buffer src, long srcOff, Buffer dst, long dstOff, long len) {
        System.arraycopy(a(src), i(srcOff), a(dst), i(dstOff), i(len));
    }

    @Override
    public void zero(Buffer dst, long off, long len) {
        Arrays.fill(a(dst), i(off), i(off + len), 0f);
    }

    @Override
    public Weights weights(WeightMatrix w) {
        return new HeapWeights(w);
    }

    @Override
    public void linear(Buffer x, long xOff, int ldx, int m, Weights w, Buffer bias, Buffer y, long yOff, int ldy) {
        cpu.linear(a(x), i(xOff), ldx, m, ((HeapWeights) w).matrix(), bias == null ? null : a(bias), a(y), i(yOff), ldy);
    }

    @Override
    public void matmul(Buffer x, long xOff, int ldx, int m, Weights w, Buffer y, long yOff, int ldy) {
        cpu.matmul(a(x), i(xOff), ldx, m, ((HeapWeights) w).matrix(), a(y), i(yOff), ldy);
    }

    @Override
    public void gemmNT(int batch, int m, int n, int k, float alpha, Buffer a, long aOff, int lda, long strideA,
                       Buffer b, long bOff, int ldb, long strideB, Buffer c, long cOff, int ldc, long strideC) {
        for (int t = 0; t < batch; t++) {
            cpu.gemmNT(m, n, k, alpha, a(a), i(aOff + t * strideA), lda, a(b), i(bOff + t * strideB), ldb,
                    a(c), i(cOff + t * strideC), ldc);
        }
    }

    @Override
    public void gemmNN(int batch, int m, int n, int k, Buffer a, long aOff, int lda, long strideA,
                       Buffer b, long bOff, int ldb, long strideB, Buffer c, long cOff, int ldc, long strideC) {
        for (int t = 0; t < batch; t++) {
            cpu.gemmNN(m, n, k, a(a), i(aOff + t * strideA), lda, a(b), i(bOff + t * strideB), ldb,
                    a(c), i(cOff + t * strideC), ldc);
        }
    }

    @Override
    public void layerNorm(Buffer x, long xOff, int ldx, int rows, int cols, Buffer gamma, Buffer beta, float eps,
                          Buffer y, long yOff, int ldy) {
        cpu.layerNorm(a(x), i(xOff), ldx, rows, cols, a(gamma), a(beta), eps, a(y), i(yOff), ldy);
    }

    @Override
    public void softmaxRows(Buffer x, long off, int ld, int rows, int cols, boolean causal, int causalOffset,
                            int rowsPerMatrix) {
        if (!causal) {
            cpu.softmaxRows(a(x), i(off), ld, rows, cols, false, 0);
            return;
        }
        if (rowsPerMatrix <= 0) throw new IllegalArgumentException("rowsPerMatrix must be positive: " + rowsPerMatrix);
        for (int r0 = 0; r0 < rows; r0 += rowsPerMatrix) {
            cpu.softmaxRows(a(x), i(off + (long) r0 * ld), ld, Math.min(rowsPerMatrix, rows - r0), cols, true,
                    causalOffset);
        }
    }

    @Override
    public void quickGelu(Buffer x, long off, long len) {
        cpu.quickGelu(a(x), i(off), i(len));
    }

    @Override
    public void add(Buffer dst, long dOff, Buffer src, long sOff, long len) {
        cpu.add(a(dst), i(dOff), a(src), i(sOff), i(len));
    }

    @Override
    public void cosineNormalize(Buffer gram, int batch, int n, float scale, Buffer out) {
        float[] g = a(gram), o = a(out);
        int nn = n * n;
        for (int t = 0; t < nn; t++) {
            int r = t / n, c = t % n;
            float acc = 0f;
            for (int b = 0; b < batch; b++) {
                int base = b * nn;
                float ni = (float) Math.sqrt(g[base + r * n + r]), nj = (float) Math.sqrt(g[base + c * n + c]);
                acc += g[base + t] / Math.max(ni * nj, 1e-8f);
            }
            o[t] = acc * scale;
        }
    }

    @Override
    public void bilinear(Buffer src, int channels, int inH, int inW, Buffer dst, int outH, int outW) {
        float[] in = Arrays.copyOf(a(src), channels * inH * inW);
        float[] out = Resample.bilinear(in, channels, inH, inW, outH, outW);
        System.arraycopy(out, 0, a(dst), 0, out.length);
    }

    @Override
    public void median(Buffer src, int planes, int h, int w, int k, Buffer dst) {
        int p = h * w;
        for (int c = 0; c < planes; c++) {
            float[] plane = Arrays.copyOfRange(a(src), c * p, (c + 1) * p);
            System.arraycopy(MedianFilter.median(plane, h, w, k), 0, a(dst), c * p, p);
        }
    }

    @Override
    public void synchronize() {
        // every call above has completed when it returns
    }

    @Override
    public void close() {
        // the CpuBackend belongs to the caller
    }

    private static float[] a(Buffer b) {
        return ((HeapBuffer) b).data();
    }

    private static int i(long v) {
        return Math.toIntExact(v);
    }
}
