package dev.clipengine.heads;

import dev.clipengine.heads.HeadLayers.Lin;
import dev.clipengine.heads.HeadLayers.Norm;
import dev.clipengine.kernels.AttentionSpec;
import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Epilogue;
import dev.clipengine.weights.WeightsFormatException;

/**
 * One CLIP residual attention block in OpenAI names ({@code ln_1, attn.in_proj_*, attn.out_proj.*, ln_2, mlp.c_fc.*,
 * mlp.c_proj.*}) with the LayerNorm eps its repository uses: {@code x += attn(ln_1(x)); x += c_proj(QuickGELU(c_fc(
 * ln_2(x))))} (docs/seed-heads.md §3). Immutable once loaded: any number of threads may run it
 * with their own {@link Work}.
 */
final class ClipBlock {

    final Norm ln1, ln2;
    final Lin inProj, outProj, fc, proj;
    final int width, heads;

    private ClipBlock(Norm ln1, Lin inProj, Lin outProj, Norm ln2, Lin fc, Lin proj, int heads) {
        this.ln1 = ln1;
        this.inProj = inProj;
        this.outProj = outProj;
        this.ln2 = ln2;
        this.fc = fc;
        this.proj = proj;
        this.width = outProj.out();
        this.heads = heads;
    }

    /** Block {@code prefix} (e.g. {@code "vit.transformer.resblocks.3."}) of width {@code d}, its shapes checked. */
    static ClipBlock load(SeedCheckpoint ck, HeadLayers layers, String prefix, int d, int heads, float eps)
            throws WeightsFormatException {
        if (heads < 1 || d % heads != 0) {
            throw new WeightsFormatException(ck.path(), "width " + d + " of '" + prefix + "' does not split into " + heads + " attention heads (give the head count)");
        }
        long hidden = ck.require(prefix + "mlp.c_fc.weight", SeedCheckpoint.ANY, d).shape()[0];
        return new ClipBlock(
                layers.norm(ck.require(prefix + "ln_1.weight", d), ck.require(prefix + "ln_1.bias", d), eps),
                layers.lin(ck.require(prefix + "attn.in_proj_weight", 3L * d, d), ck.require(prefix + "attn.in_proj_bias", 3L * d)),
                layers.lin(ck.require(prefix + "attn.out_proj.weight", d, d), ck.require(prefix + "attn.out_proj.bias", d)),
                layers.norm(ck.require(prefix + "ln_2.weight", d), ck.require(prefix + "ln_2.bias", d), eps),
                layers.lin(ck.require(prefix + "mlp.c_fc.weight", hidden, d), ck.require(prefix + "mlp.c_fc.bias", hidden)),
                layers.lin(ck.require(prefix + "mlp.c_proj.weight", d, hidden), ck.require(prefix + "mlp.c_proj.bias", d)),
                heads);
    }

    /** Per-forward scratch buffers for up to {@code rows} rows. */
    Work work(Backend b, int rows) {
        return new Work(b, rows, width, fc.out());
    }

    /**
     * Runs the block in place on the rows of {@code x}: one or more independent sequences stacked
     * ({@code starts = [0, end of sequence 0, …]}), attention within each, causal for the text tower.
     */
    void forward(Backend b, Backend.Buffer x, int[] starts, boolean causal, Work w) {
        int n = starts[starts.length - 1];
        ln1.apply(b, x, w.h, n);
        inProj.apply(b, w.h, n, w.qkv, Epilogue.STORE);
        b.attention(AttentionSpec.standard(heads, width / heads, causal), w.qkv, 0, starts, null, null, w.ctx, 0);
        outProj.apply(b, w.ctx, n, x, Epilogue.ACCUMULATE);
        mlp(b, x, n, w);
    }

    /** {@code x += c_proj(QuickGELU(c_fc(ln_2(x))))}. */
    void mlp(Backend b, Backend.Buffer x, int n, Work w) {
        ln2.apply(b, x, w.h, n);
        fc.apply(b, w.h, n, w.mlp, Epilogue.QUICK_GELU);
        proj.apply(b, w.mlp, n, x, Epilogue.ACCUMULATE);
    }

    static final class Work implements AutoCloseable {
        final Backend.Buffer h, qkv, ctx, mlp;

        Work(Backend b, int rows, int width, int hidden) {
            h = b.allocate((long) rows * width);
            qkv = b.allocate((long) rows * 3 * width);
            ctx = b.allocate((long) rows * width);
            mlp = b.allocate((long) rows * hidden);
        }

        @Override
        public void close() {
            h.close();
            qkv.close();
            ctx.close();
            mlp.close();
        }
    }
}
