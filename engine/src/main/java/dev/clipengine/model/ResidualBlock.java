package dev.clipengine.model;

import dev.clipengine.kernels.AttentionSpec;
import dev.clipengine.kernels.AttentionSpec.Part;
import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Epilogue;

import java.util.List;

/**
 * One pre-norm transformer block of CLIP (docs/cliptrase.md §1.3):
 * {@code x += attn(ln_1(x)); x += c_proj(QuickGELU(c_fc(ln_2(x))))}, shared by both towers, on the backend its
 * weights were prepared for. Immutable after construction, so one instance serves any number of threads.
 */
final class ResidualBlock {

    /**
     * What one pass of the block computes (training-free-methods.md §0) and which side outputs it returns.
     *
     * @param causal        mask attention to earlier positions (text tower)
     * @param mode          the token mixing
     * @param bias          {@code [n, n]} added to the scaled scores before the softmax (NACLIP's Ω), or null
     * @param residual      false: {@code x} becomes the bare attention output {@code out_proj(A·V)}, with no residual
     *                      and no MLP ("reduced" blocks)
     * @param probabilities also return the attention probabilities ({@code [heads, n, n]})
     * @param correlation   also return the cosine self-correlation W of q, k and v (docs/cliptrase.md §2.1); the forward is unchanged
     */
    record Request(boolean causal, AttentionMode mode, Backend.Buffer bias, boolean residual, boolean probabilities,
                   boolean correlation) {

        /** CLIP's block, no side output. */
        static Request clip(boolean causal) {
            return new Request(causal, AttentionMode.STANDARD, null, true, false, false);
        }

        boolean wantsTaps() {
            return probabilities || correlation || bias != null || !residual;
        }
    }

    /** Side outputs on the backend, null where not requested; the caller closes them. */
    record Taps(Backend.Buffer probabilities, Backend.Buffer correlation) {
        static final Taps NONE = new Taps(null, null);
    }

    private final Backend backend;
    private final LayerNorm ln1, ln2;
    private final Linear inProj, outProj, fc, proj;
    private final int width, heads, headDim;

    ResidualBlock(Backend backend, LayerNorm ln1, Linear inProj, Linear outProj, LayerNorm ln2, Linear fc, Linear proj,
                  int heads) {
        this.backend = backend;
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

    LayerNorm ln1() {
        return ln1;
    }

    Linear inProj() {
        return inProj;
    }

    Linear outProj() {
        return outProj;
    }

    int heads() {
        return heads;
    }

    /** Buffers for a forward pass over {@code rows} rows (shared by every block of a tower, which run in turn). */
    Workspace newWorkspace(int rows) {
        return new Workspace(backend, rows, width, fc.out());
    }

    /** The attention of {@code mode}: which parts of q|k|v attend to which, summed (see {@link AttentionSpec}). */
    AttentionSpec attention(AttentionMode mode, boolean causal) {
        List<AttentionSpec.Branch> branches = switch (mode) {
            case STANDARD -> List.of(new AttentionSpec.Branch(Part.Q, Part.K));
            // docs/cliptrase.md §2.2: (softmax(s·qqᵀ) + softmax(s·kkᵀ) + softmax(s·vvᵀ))·V, rows of the sum add up to 3 (reference
            // quirk B6)
            case CLIPTRASE -> self(Part.Q, Part.K, Part.V);
            // training-free §2.3: (softmax(s·qqᵀ) + softmax(s·kkᵀ))·V, rows add up to 2 (not averaged)
            case SCLIP -> self(Part.Q, Part.K);
            case QUERY_QUERY -> self(Part.Q);
            // training-free §2.5: the Gaussian is added to the scaled k·k logits before the softmax
            case NACLIP -> self(Part.K);
            // A = I: each token keeps its own v (MaskCLIP)
            case IDENTITY -> List.of();
        };
        return new AttentionSpec(heads, headDim, AttentionSpec.defaultScale(headDim), branches, causal);
    }

    private static List<AttentionSpec.Branch> self(Part... parts) {
        return java.util.Arrays.stream(parts).map(p -> new AttentionSpec.Branch(p, p)).toList();
    }

    /**
     * Runs the block in place on {@code x}, whose rows are one or more independent sequences stacked
     * ({@code sequenceStarts} = {@code [0, end of sequence 0, end of sequence 1, …]}): the projections and the MLP
     * run once over all rows (one weight pass for a whole batch of prompts), attention within each sequence.
     * Side outputs and the training-free options ({@link Request#wantsTaps()}) need a single sequence.
     */
    Taps forward(Backend.Buffer x, int[] sequenceStarts, Request request, Workspace ws) {
        int d = width, n = sequenceStarts[sequenceStarts.length - 1];
        if (sequenceStarts.length != 2 && request.wantsTaps()) {
            throw new IllegalArgumentException("attention taps and training-free last blocks need a single sequence");
        }
        if (request.mode() == AttentionMode.NACLIP && (request.bias() == null || request.bias().length() < (long) n * n)) {
            throw new IllegalArgumentException("NACLIP attention needs an " + n + "x" + n + " bias");
        }
        ln1.apply(backend, x, ws.h, n);
        inProj.apply(backend, ws.h, d, n, ws.qkv, 3 * d, Epilogue.STORE);

        Backend.Buffer probs = null, correlation = null;
        try {
            if (request.probabilities()) probs = backend.allocate((long) heads * n * n);
            backend.attention(attention(request.mode(), request.causal()), ws.qkv, 0, sequenceStarts, request.bias(),
                    probs, ws.context, 0);
            if (request.correlation()) {
                // W = the mean over heads and over q, k and v of the cosine matrices (docs/cliptrase.md §2.1, §8)
                correlation = backend.allocate((long) n * n);
                backend.cosineSelfCorrelation(ws.qkv, 0, 3 * d, n, 3 * heads, headDim, 1f / (3 * heads), correlation);
            }
        } catch (RuntimeException e) {
            if (probs != null) probs.close();
            if (correlation != null) correlation.close();
            throw e;
        }
        Taps taps = probs == null && correlation == null ? Taps.NONE : new Taps(probs, correlation);

        if (!request.residual()) {
            outProj.apply(backend, ws.context, d, n, x, d, Epilogue.STORE);
            return taps;
        }
        // Residuals are added by the GEMMs themselves, and QuickGELU is applied to each tile of c_fc as it is made.
        outProj.apply(backend, ws.context, d, n, x, d, Epilogue.ACCUMULATE);
        ln2.apply(backend, x, ws.h, n);
        int hidden = fc.out();
        fc.apply(backend, ws.h, d, n, ws.mlp, hidden, Epilogue.QUICK_GELU);
        proj.apply(backend, ws.mlp, hidden, n, x, d, Epilogue.ACCUMULATE);
        return taps;
    }

    /**
     * Per-forward activation buffers on the backend, shared by every block of a tower (they run one after another),
     * so a forward allocates them once rather than once per block.
     */
    static final class Workspace implements AutoCloseable {
        final Backend.Buffer h, qkv, context, mlp;

        Workspace(Backend backend, int rows, int width, int hidden) {
            Backend.Buffer[] made = new Backend.Buffer[4];
            try {
                made[0] = backend.allocate((long) rows * width);
                made[1] = backend.allocate((long) rows * 3 * width);
                made[2] = backend.allocate((long) rows * width);
                made[3] = backend.allocate((long) rows * hidden);
            } catch (RuntimeException e) {
                for (Backend.Buffer b : made) if (b != null) b.close();
                throw e;
            }
            this.h = made[0];
            this.qkv = made[1];
            this.context = made[2];
            this.mlp = made[3];
        }

        @Override
        public void close() {
            h.close();
            qkv.close();
            context.close();
            mlp.close();
        }
    }
}
