package dev.clipengine.model;

import dev.clipengine.kernels.CpuBackend;
import dev.clipengine.kernels.Epilogue;
import dev.clipengine.kernels.PackedLinear;

/**
 * One pre-norm transformer block of CLIP (spec §1.3):
 * {@code x += attn(ln_1(x)); x += c_proj(QuickGELU(c_fc(ln_2(x))))}, shared by both towers.
 * Immutable after construction, so one instance serves any number of threads.
 */
final class ResidualBlock {

    /** Optional side outputs of a forward pass; null fields are not computed. */
    static final class Taps {
        /** Standard attention probabilities, {@code [heads, n, n]}. */
        float[] attentionProbs;
        /** Mean over heads of the mean q/k/v cosine self-correlation, {@code [n, n]} (spec §2.1). */
        float[] cosineCorrelation;
    }

    private final LayerNorm ln1, ln2;
    private final Linear inProj, outProj, fc, proj;
    private final int width, heads, headDim;

    ResidualBlock(LayerNorm ln1, Linear inProj, Linear outProj, LayerNorm ln2, Linear fc, Linear proj, int heads) {
        this.ln1 = ln1;
        this.inProj = inProj;
        this.outProj = outProj;
        this.ln2 = ln2;
        this.fc = fc;
        this.proj = proj;
        this.width = outProj.out();
        this.heads = heads;
        this.headDim = width / heads;
    }

    /**
     * Runs the block in place on {@code x} ({@code n} rows of {@code width}).
     *
     * @param causal     mask attention to earlier positions (text tower)
     * @param wantProbs  also return the standard attention probabilities
     * @param wantCosine also return the cosine self-correlation W (spec §2.1); the forward is unchanged
     */
    Taps forward(CpuBackend cpu, float[] x, int n, boolean causal, AttentionMode mode, boolean wantProbs, boolean wantCosine) {
        return forward(cpu, x, new int[] {0, n}, causal, mode, null, true, wantProbs, wantCosine, newWorkspace(n, n));
    }

    /** Buffers for a forward pass over {@code rows} rows in sequences of at most {@code maxSequence} tokens. */
    Workspace newWorkspace(int rows, int maxSequence) {
        return new Workspace(rows, maxSequence, width, fc.out());
    }

    /** The CLIP block over stacked sequences (see below), with standard residual and MLP. */
    Taps forward(CpuBackend cpu, float[] x, int[] sequenceStarts, boolean causal, AttentionMode mode,
                 boolean wantProbs, boolean wantCosine, Workspace ws) {
        return forward(cpu, x, sequenceStarts, causal, mode, null, true, wantProbs, wantCosine, ws);
    }

    /**
     * Runs the block in place on {@code x}, whose rows are one or more independent sequences stacked
     * ({@code sequenceStarts} = {@code [0, end of sequence 0, end of sequence 1, …]}): the projections and the MLP
     * run once over all rows (one weight pass for a whole batch of prompts), attention within each sequence.
     * Taps and the training-free last-block options (training-free-methods.md §0) are only available for a single
     * sequence.
     *
     * @param attentionBias {@code [n, n]} added to the scaled scores before the softmax (NACLIP's Ω), or null
     * @param residual      false: {@code x} becomes the bare attention output {@code out_proj(A·V)}, with no
     *                      residual and no MLP ("reduced" blocks)
     */
    Taps forward(CpuBackend cpu, float[] x, int[] sequenceStarts, boolean causal, AttentionMode mode, float[] attentionBias,
                 boolean residual, boolean wantProbs, boolean wantCosine, Workspace ws) {
        int d = width, n = sequenceStarts[sequenceStarts.length - 1];
        boolean single = sequenceStarts.length == 2;
        if (!single && (wantProbs || wantCosine || attentionBias != null || !residual)) {
            throw new IllegalArgumentException("attention taps and training-free last blocks need a single sequence");
        }
        if (mode == AttentionMode.NACLIP && (attentionBias == null || attentionBias.length != n * n)) {
            throw new IllegalArgumentException("NACLIP attention needs an " + n + "x" + n + " bias");
        }
        float[] h = ws.h, qkv = ws.qkv, context = ws.context;
        ln1.apply(cpu, x, h, n);
        PackedLinear[] packed = packedWeights();
        linear(cpu, inProj, packed[0], h, d, n, qkv, 3 * d, Epilogue.STORE);

        Taps taps = new Taps();
        float[] probs = wantProbs ? new float[heads * n * n] : null;
        if (single) {
            cpu.parallelFor(heads, (from, to) -> {
                float[][] scratch = ws.takeScratch(mode, wantProbs, false);
                for (int head = from; head < to; head++) {
                    attendHead(cpu, qkv, n, head, causal, mode, attentionBias, context, scratch[0], probs);
                }
                ws.giveBack(scratch);
            });
        } else {
            // Sequences are contiguous row ranges: copy one in, attend with every head, copy its context out.
            cpu.parallelFor(sequenceStarts.length - 1, (from, to) -> {
                float[][] scratch = ws.takeScratch(mode, false, true);
                float[] seqQkv = scratch[1], seqContext = scratch[2];
                for (int s = from; s < to; s++) {
                    int r0 = sequenceStarts[s], len = sequenceStarts[s + 1] - r0;
                    System.arraycopy(qkv, r0 * 3 * d, seqQkv, 0, len * 3 * d);
                    for (int head = 0; head < heads; head++) {
                        attendHead(cpu, seqQkv, len, head, causal, mode, null, seqContext, scratch[0], null);
                    }
                    System.arraycopy(seqContext, 0, context, r0 * d, len * d);
                }
                ws.giveBack(scratch);
            });
        }
        taps.attentionProbs = probs;
        if (wantCosine) taps.cosineCorrelation = cosineSelfCorrelation(cpu, qkv, n);

        if (!residual) {
            linear(cpu, outProj, packed[1], context, d, n, x, d, Epilogue.STORE);
            return taps;
        }
        // Residuals are added by the GEMMs themselves, and QuickGELU is applied to each tile of c_fc as it is made.
        linear(cpu, outProj, packed[1], context, d, n, x, d, Epilogue.ACCUMULATE);
        ln2.apply(cpu, x, h, n);
        int hidden = fc.out();
        linear(cpu, fc, packed[2], h, d, n, ws.mlp, hidden, Epilogue.QUICK_GELU);
        linear(cpu, proj, packed[3], ws.mlp, hidden, n, x, d, Epilogue.ACCUMULATE);
        return taps;
    }

    /** in_proj, out_proj, c_fc, c_proj packed for the GEMM on first use; null where the packing budget ran out. */
    private volatile PackedLinear[] packed;

    private PackedLinear[] packedWeights() {
        PackedLinear[] p = packed;
        if (p == null) {
            synchronized (this) {
                p = packed;
                if (p == null) {
                    p = new PackedLinear[] {PackedLinear.tryPack(inProj.weight()), PackedLinear.tryPack(outProj.weight()),
                            PackedLinear.tryPack(fc.weight()), PackedLinear.tryPack(proj.weight())};
                    packed = p;
                }
            }
        }
        return p;
    }

    /** {@code y (+)= epilogue(x · Wᵀ + b)} from the packed weights when there are, else packing on the fly. */
    private static void linear(CpuBackend cpu, Linear layer, PackedLinear packedWeight, float[] x, int ldx, int rows,
                               float[] y, int ldy, Epilogue epilogue) {
        if (packedWeight != null) {
            cpu.linear(x, 0, ldx, rows, packedWeight, layer.bias(), y, 0, ldy, epilogue);
        } else {
            cpu.linear(x, 0, ldx, rows, layer.weight(), layer.bias(), y, 0, ldy, epilogue);
        }
    }

    private void attendHead(CpuBackend cpu, float[] qkv, int n, int head, boolean causal, AttentionMode mode, float[] bias,
                            float[] context, float[] scores, float[] probs) {
        int d = width, ld = 3 * d, out = head * headDim;
        int q = head * headDim, k = d + head * headDim, v = 2 * d + head * headDim;
        // PyTorch scales q by head_dim^-0.5 before the product; scaling the product is the same up to rounding.
        float scale = (float) (1.0 / Math.sqrt(headDim));
        switch (mode) {
            case STANDARD -> {
                if (probs == null) {
                    // The common case: fused, the n×n probabilities are never stored.
                    cpu.attentionHead(n, headDim, scale, causal, qkv, q, ld, qkv, k, ld, qkv, v, ld, context, out, d, false);
                    return;
                }
                cpu.gemmNT(n, n, headDim, scale, qkv, q, ld, qkv, k, ld, scores, 0, n);
                cpu.softmaxRows(scores, 0, n, n, n, causal, 0);
                System.arraycopy(scores, 0, probs, head * n * n, n * n);
            }
            case CLIPTRASE -> {
                // spec §2.2: (softmax(s·qqᵀ) + softmax(s·kkᵀ) + softmax(s·vvᵀ))·V, rows of the sum add up to 3
                // (reference quirk B6)
                selfAttentionSum(cpu, qkv, n, causal, scale, v, context, out, q, k, v);
                return;
            }
            case SCLIP -> {
                // spec training-free §2.3: (softmax(s·qqᵀ) + softmax(s·kkᵀ))·V, rows of the sum add up to 2 (not
                // averaged)
                selfAttentionSum(cpu, qkv, n, causal, scale, v, context, out, q, k);
                return;
            }
            case QUERY_QUERY -> {
                selfAttentionSum(cpu, qkv, n, causal, scale, v, context, out, q);
                return;
            }
            case NACLIP -> {
                // spec training-free §2.5: the Gaussian is added to the scaled k·k logits before the softmax
                cpu.gemmNT(n, n, headDim, scale, qkv, k, ld, qkv, k, ld, scores, 0, n);
                cpu.add(scores, 0, bias, 0, n * n);
                cpu.softmaxRows(scores, 0, n, n, n, causal, 0);
            }
            case IDENTITY -> {
                // A = I: each token keeps its own v (MaskCLIP); a copy is exactly what the product with I gives
                for (int i = 0; i < n; i++) System.arraycopy(qkv, i * ld + v, context, i * d + out, headDim);
                return;
            }
        }
        cpu.gemmNN(n, headDim, n, scores, 0, n, qkv, v, ld, context, out, d);
    }

    /**
     * {@code context[:, out..] = Σ_b softmax(s·X_b X_bᵀ)·V} over the given branches (q, k or v columns of this head):
     * a sum of fused heads over the same V, each a branch attending to itself.
     */
    private void selfAttentionSum(CpuBackend cpu, float[] qkv, int n, boolean causal, float scale, int v, float[] context,
                                  int out, int... branches) {
        int d = width, ld = 3 * d;
        for (int i = 0; i < branches.length; i++) {
            int b = branches[i];
            cpu.attentionHead(n, headDim, scale, causal, qkv, b, ld, qkv, b, ld, qkv, v, ld, context, out, d, i > 0);
        }
    }

    /**
     * W = the mean over heads and over q, k and v of {@code cos(a_i, a_j) = a_i·a_j / max(|a_i||a_j|, 1e-8)}
     * (spec §2.1, §8). Every head's q, k and v row is scaled to unit length first; then all 3·heads cosine matrices
     * summed are one Gram matrix of the scaled rows, {@code Z Zᵀ} with K = 3·width, a single well-shaped GEMM instead
     * of 3·heads thin ones and as many elementwise passes. Scaling first equals dividing afterwards except for rows
     * shorter than 1e-4 (the clamp's scale), which trained CLIP activations never have; a zero row gives 0 either way.
     */
    private float[] cosineSelfCorrelation(CpuBackend cpu, float[] qkv, int n) {
        int ld = 3 * width;
        float[] unit = new float[n * ld];
        cpu.parallelFor(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                for (int seg = 0; seg < 3 * heads; seg++) {
                    int o = i * ld + seg * headDim;
                    float sq = 0;
                    for (int c = 0; c < headDim; c++) sq += qkv[o + c] * qkv[o + c];
                    float norm = (float) Math.sqrt(sq);
                    float inv = norm > 0 ? 1f / norm : 0f;
                    for (int c = 0; c < headDim; c++) unit[o + c] = qkv[o + c] * inv;
                }
            }
        });
        float[] w = new float[n * n];
        cpu.gemmNT(n, n, ld, 1f / (3 * heads), unit, 0, ld, unit, 0, ld, w, 0, n);
        return w;
    }

    /**
     * Per-forward activation buffers, shared by every block of a tower (they run one after another), so a forward
     * allocates them once rather than once per block. Attention scratch ({@code n×n} scores) is handed to whichever
     * thread runs a group of heads and taken back after, so at most one set per running thread is ever made.
     */
    static final class Workspace {
        final float[] h, qkv, context, mlp;
        private final int maxSequence, width;
        private final java.util.concurrent.ConcurrentLinkedDeque<float[][]> scratch =
                new java.util.concurrent.ConcurrentLinkedDeque<>();

        Workspace(int rows, int maxSequence, int width, int hidden) {
            this.h = new float[rows * width];
            this.qkv = new float[rows * 3 * width];
            this.context = new float[rows * width];
            this.mlp = new float[rows * hidden];
            this.maxSequence = maxSequence;
            this.width = width;
        }

        /**
         * {scores (an n×n matrix, for the modes that are not fused), one sequence's qkv and context (for stacked
         * sequences)}; each part is made the first time it is needed. Attention whose probabilities are not tapped is
         * fused ({@link CpuBackend#attentionHead}) and needs no score matrix, except NACLIP's, which adds a bias.
         */
        float[][] takeScratch(AttentionMode mode, boolean wantProbs, boolean sequenceBuffers) {
            float[][] s = scratch.pollFirst();
            if (s == null) s = new float[3][];
            if ((wantProbs || mode == AttentionMode.NACLIP) && s[0] == null) s[0] = new float[maxSequence * maxSequence];
            if (sequenceBuffers && s[1] == null) {
                s[1] = new float[maxSequence * 3 * width];
                s[2] = new float[maxSequence * width];
            }
            return s;
        }

        void giveBack(float[][] s) {
            scratch.addFirst(s);
        }
    }
}
