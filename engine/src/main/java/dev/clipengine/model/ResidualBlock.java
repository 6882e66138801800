package dev.clipengine.model;

import dev.clipengine.kernels.CpuBackend;

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
        return forward(cpu, x, n, causal, mode, null, true, wantProbs, wantCosine);
    }

    /**
     * As above, for the training-free last blocks (training-free-methods.md §0).
     *
     * @param attentionBias {@code [n, n]} added to the scaled scores before the softmax (NACLIP's Ω), or null
     * @param residual      false: {@code x} becomes the bare attention output {@code out_proj(A·V)}, with no
     *                      residual and no MLP ("reduced" blocks)
     */
    Taps forward(CpuBackend cpu, float[] x, int n, boolean causal, AttentionMode mode, float[] attentionBias,
                 boolean residual, boolean wantProbs, boolean wantCosine) {
        if (mode == AttentionMode.NACLIP && (attentionBias == null || attentionBias.length != n * n)) {
            throw new IllegalArgumentException("NACLIP attention needs an " + n + "x" + n + " bias");
        }
        int d = width;
        float[] h = new float[n * d];
        ln1.apply(cpu, x, h, n);
        float[] qkv = new float[n * 3 * d];
        cpu.linear(h, 0, d, n, inProj.weight(), inProj.bias(), qkv, 0, 3 * d);

        Taps taps = new Taps();
        float[] context = new float[n * d];
        float[] probs = wantProbs ? new float[heads * n * n] : null;
        float[] cosPerHead = wantCosine ? new float[heads * n * n] : null;
        cpu.parallelFor(heads, (from, to) -> {
            float[] scratch = new float[n * n];
            float[] scratch2 = mode == AttentionMode.CLIPTRASE || mode == AttentionMode.SCLIP ? new float[n * n] : null;
            for (int head = from; head < to; head++) {
                attendHead(cpu, qkv, n, head, causal, mode, attentionBias, context, scratch, scratch2,
                        probs == null ? null : probs, cosPerHead);
            }
        });
        taps.attentionProbs = probs;
        if (wantCosine) taps.cosineCorrelation = meanOverHeads(cosPerHead, n);

        float[] a = new float[n * d];
        cpu.linear(context, 0, d, n, outProj.weight(), outProj.bias(), a, 0, d);
        if (!residual) {
            System.arraycopy(a, 0, x, 0, n * d);
            return taps;
        }
        cpu.add(x, 0, a, 0, n * d);

        ln2.apply(cpu, x, h, n);
        int hidden = fc.out();
        float[] m = new float[n * hidden];
        cpu.linear(h, 0, d, n, fc.weight(), fc.bias(), m, 0, hidden);
        cpu.quickGelu(m, 0, n * hidden);
        cpu.linear(m, 0, hidden, n, proj.weight(), proj.bias(), a, 0, d);
        cpu.add(x, 0, a, 0, n * d);
        return taps;
    }

    private void attendHead(CpuBackend cpu, float[] qkv, int n, int head, boolean causal, AttentionMode mode, float[] bias,
                            float[] context, float[] scores, float[] scratch2, float[] probs, float[] cosPerHead) {
        int d = width, ld = 3 * d;
        int q = head * headDim, k = d + head * headDim, v = 2 * d + head * headDim;
        // PyTorch scales q by head_dim^-0.5 before the product; scaling the product is the same up to rounding.
        float scale = (float) (1.0 / Math.sqrt(headDim));
        switch (mode) {
            case STANDARD -> {
                cpu.gemmNT(n, n, headDim, scale, qkv, q, ld, qkv, k, ld, scores, 0, n);
                cpu.softmaxRows(scores, 0, n, n, n, causal, 0);
                if (probs != null) System.arraycopy(scores, 0, probs, head * n * n, n * n);
            }
            case CLIPTRASE -> {
                // spec §2.2: softmax(s·qqᵀ) + softmax(s·kkᵀ) + softmax(s·vvᵀ), rows sum to 3 (reference quirk B6)
                java.util.Arrays.fill(scores, 0f);
                for (int branch : new int[] {q, k, v}) {
                    cpu.gemmNT(n, n, headDim, scale, qkv, branch, ld, qkv, branch, ld, scratch2, 0, n);
                    cpu.softmaxRows(scratch2, 0, n, n, n, causal, 0);
                    cpu.add(scores, 0, scratch2, 0, n * n);
                }
            }
            case SCLIP -> {
                // spec training-free §2.3: softmax(s·qqᵀ) + softmax(s·kkᵀ), rows sum to 2 (not averaged)
                java.util.Arrays.fill(scores, 0f);
                for (int branch : new int[] {q, k}) {
                    cpu.gemmNT(n, n, headDim, scale, qkv, branch, ld, qkv, branch, ld, scratch2, 0, n);
                    cpu.softmaxRows(scratch2, 0, n, n, n, causal, 0);
                    cpu.add(scores, 0, scratch2, 0, n * n);
                }
            }
            case QUERY_QUERY -> {
                cpu.gemmNT(n, n, headDim, scale, qkv, q, ld, qkv, q, ld, scores, 0, n);
                cpu.softmaxRows(scores, 0, n, n, n, causal, 0);
            }
            case NACLIP -> {
                // spec training-free §2.5: the Gaussian is added to the scaled k·k logits before the softmax
                cpu.gemmNT(n, n, headDim, scale, qkv, k, ld, qkv, k, ld, scores, 0, n);
                cpu.add(scores, 0, bias, 0, n * n);
                cpu.softmaxRows(scores, 0, n, n, n, causal, 0);
            }
            case IDENTITY -> {
                // A = I: each token keeps its own v (MaskCLIP); a copy is exactly what the product with I gives
                for (int i = 0; i < n; i++) System.arraycopy(qkv, i * ld + v, context, i * d + head * headDim, headDim);
                if (cosPerHead != null) cosineSelfCorrelation(cpu, qkv, n, q, k, v, cosPerHead, head * n * n);
                return;
            }
        }
        cpu.gemmNN(n, headDim, n, scores, 0, n, qkv, v, ld, context, head * headDim, d);
        if (cosPerHead != null) cosineSelfCorrelation(cpu, qkv, n, q, k, v, cosPerHead, head * n * n);
    }

    /**
     * Per head: the mean over q, k and v of {@code cos(a_i, a_j) = a_i·a_j / max(|a_i||a_j|, 1e-8)} (spec §2.1, §8).
     */
    private void cosineSelfCorrelation(CpuBackend cpu, float[] qkv, int n, int q, int k, int v, float[] out, int outOff) {
        int ld = 3 * width;
        float[] gram = new float[n * n];
        float[] norms = new float[n];
        for (int branch : new int[] {q, k, v}) {
            cpu.gemmNT(n, n, headDim, 1f, qkv, branch, ld, qkv, branch, ld, gram, 0, n);
            for (int i = 0; i < n; i++) norms[i] = (float) Math.sqrt(gram[i * n + i]);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    out[outOff + i * n + j] += gram[i * n + j] / Math.max(norms[i] * norms[j], 1e-8f);
                }
            }
        }
        for (int i = 0; i < n * n; i++) out[outOff + i] /= 3f;
    }

    private float[] meanOverHeads(float[] perHead, int n) {
        float[] w = new float[n * n];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < n * n; i++) w[i] += perHead[h * n * n + i];
        }
        for (int i = 0; i < n * n; i++) w[i] /= heads;
        return w;
    }
}
