package dev.clipengine.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The contract on {@link CpuBackend} itself (a backend with its own pool, more threads than this machine may have), and
 * what the CPU promises beyond it: bit-identical results whatever the grouping of the work.
 */
class CpuBackendContractTest extends BackendContractTest {

    private final CpuBackend backend = new CpuBackend(3);

    @Override
    protected double gemmInputRounding() {
        return 0;
    }

    @Override
    protected Backend backend() {
        return backend;
    }

    @Test
    void theSharedBackendIsTheCpuBackend() {
        assertSame(CpuBackend.shared(), Backends.cpu());
        assertEquals(CpuBackend.shared().threads(), Backends.cpuThreads());
        Backends.cpu().close();   // a no-op: it lives for the process
        Backends.cpu().synchronize();
    }

    /** Fused attention through the interface is {@link CpuBackend#attentionHead}, head by head, bit for bit. */
    @Test
    void attentionIsTheFusedHeadBitForBit() {
        Random r = new Random(3);
        int n = 37, heads = 3, hd = 16, d = heads * hd, ld = 3 * d;
        float[] qkv = new float[n * ld];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextGaussian();
        for (boolean causal : new boolean[] {false, true}) {
            AttentionSpec spec = AttentionSpec.standard(heads, hd, causal);
            float[] want = new float[n * d];
            for (int h = 0; h < heads; h++) {
                backend.attentionHead(n, hd, spec.scale(), causal, qkv, h * hd, ld, qkv, d + h * hd, ld, qkv,
                        2 * d + h * hd, ld, want, h * hd, d, false);
            }
            try (Backend.Buffer q = backend.upload(qkv); Backend.Buffer o = backend.allocate(n * d)) {
                backend.attention(spec, q, 0, new int[] {0, n}, null, null, o, 0);
                assertArrayEquals(want, backend.download(o), "causal=" + causal);
            }
        }
    }

    /** A sequence gets the same bits alone or stacked with others (the text tower batches its prompts). */
    @Test
    void stackedSequencesGiveTheBitsOfEachAlone() {
        Random r = new Random(5);
        int heads = 2, hd = 32, d = heads * hd, ld = 3 * d;
        int[] starts = {0, 9, 26, 27, 40};
        float[] qkv = new float[40 * ld];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextGaussian();
        AttentionSpec spec = AttentionSpec.standard(heads, hd, true);
        try (Backend.Buffer q = backend.upload(qkv); Backend.Buffer all = backend.allocate(40 * d)) {
            backend.attention(spec, q, 0, starts, null, null, all, 0);
            float[] stacked = backend.download(all);
            for (int s = 0; s + 1 < starts.length; s++) {
                int r0 = starts[s], len = starts[s + 1] - r0;
                try (Backend.Buffer alone = backend.allocate((long) len * d)) {
                    backend.attention(spec, q, (long) r0 * ld, new int[] {0, len}, null, null, alone, 0);
                    assertArrayEquals(java.util.Arrays.copyOfRange(stacked, r0 * d, (r0 + len) * d),
                            backend.download(alone), "sequence " + s);
                }
            }
        }
    }

    /** Linear through the interface is the float[] GEMM with the same weights, pre-packed or not, bit for bit. */
    @Test
    void linearThroughTheInterfaceIsTheHeapGemm() {
        Random r = new Random(7);
        int m = 11, n = 70, k = 300;
        float[] x = new float[m * k], w = new float[n * k], bias = new float[n];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < n; i++) bias[i] = (float) r.nextGaussian();
        WeightMatrix wm = WeightMatrix.of(w, n, k);
        for (Epilogue e : Epilogue.values()) {
            float[] want = new float[m * n];
            backend.linear(x, 0, k, m, wm, bias, want, 0, n, e);
            try (Backend.Weights prepared = backend.weights(wm); Backend.Buffer bx = backend.upload(x);
                 Backend.Buffer bb = backend.upload(bias); Backend.Buffer y = backend.allocate(m * n)) {
                backend.linear(bx, 0, k, m, prepared, bb, y, 0, n, e);
                assertArrayEquals(want, backend.download(y), e.name());
            }
        }
    }
}
