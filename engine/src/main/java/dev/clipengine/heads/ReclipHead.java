package dev.clipengine.heads;

import dev.clipengine.heads.HeadLayers.Lin;
import dev.clipengine.heads.HeadLayers.Norm;
import dev.clipengine.image.RgbImage;
import dev.clipengine.kernels.AttentionSpec;
import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Epilogue;
import dev.clipengine.kernels.Resample;
import dev.clipengine.text.ClipTokenizer;
import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ReCLIP++'s rectification model ({@code RECLIPPP}, docs/seed-heads.md §3) from the user's
 * {@code best_weight.pth}: a CLIP ViT whose last block keeps only its value path, dense features against the
 * zero-shot text weights minus a positional bias (the interpolated positional embedding through {@code pe_proj}
 * against the learned-context reference prompts), then a {@code k×k} conv + eval BatchNorm decoder over
 * {@code [features; logits]}. Every width, the class count, the patch and the grid come from the checkpoint's
 * shapes; only the head counts are not stored and are given. Immutable once loaded; thread-safe.
 */
public final class ReclipHead implements AutoCloseable {

    /** Head counts (not stored in a checkpoint): ViT-B/16 has 12 visual and 8 text heads. */
    public record Heads(int vision, int text) {
    }

    /** Everything one image passes through, kept for the conformance tests; {@code pred} is the label map. */
    public record Run(RgbImage resized, float[] input, int paddedH, int paddedW, int gridH, int gridW,
                      float[] posEmbed, float[] visualOut, float[] features, float[] queryLogits, float[] peProj,
                      float[] biasLogits, float[] logits, float[] decoderOut, float[] maxProb, boolean[] keep,
                      float[] filtered, float[] probs, int[] pred) {
    }

    static final float BLOCK_EPS = 1e-6f, LN_EPS = 1e-5f, BN_EPS = 1e-5f;
    /** The PD filter's softmax temperature and the value a dropped class's logits become (tools/test.py). */
    static final float PD_SCALE = 10f, PD_FILL = -100f;

    private final SeedCheckpoint ck;
    private final HeadLayers layers;
    private final Backend backend;
    private final int classes, embed, width, patch, grid0, textWidth, context, prompts, kernel;
    private final float[] clsToken, pos, promptTokens, peW, peB, bnScale, bnShift;
    private final Lin conv1, proj, peProj, decoder;
    private final Norm lnPre, lnPost;
    private final List<ClipBlock> blocks = new ArrayList<>();
    /** The checkpoint's text tower: the reference prompts' encoder, and the zero-shot weights' when recomputed. */
    private final ClipTextTower text;

    private ReclipHead(SeedCheckpoint ck, HeadLayers layers, Heads heads) throws WeightsFormatException {
        this.ck = ck;
        this.backend = layers.backend;
        this.layers = layers;
        long any = SeedCheckpoint.ANY;
        Tensor dec = ck.require("decoder_conv2.weight", any, any, any, any);
        classes = dec.dim(0);
        kernel = dec.dim(2);
        if (dec.dim(3) != kernel || kernel % 2 == 0) throw new WeightsFormatException(ck.path(), "decoder_conv2.weight has a " + dec.dim(2) + "x" + dec.dim(3) + " kernel; expected an odd square one");
        Tensor c1 = ck.require("vit.conv1.weight", any, 3, any, any);
        width = c1.dim(0);
        patch = c1.dim(2);
        if (c1.dim(3) != patch) throw new WeightsFormatException(ck.path(), "vit.conv1.weight is not a square patch");
        Tensor projW = ck.require("proj.weight", any, width, 1, 1);
        embed = projW.dim(0);
        ck.require("decoder_conv2.weight", classes, embed + classes, kernel, kernel);
        Tensor posT = ck.require("vit.positional_embedding", any, width);
        grid0 = (int) Math.round(Math.sqrt(posT.dim(0) - 1));
        if (grid0 * grid0 + 1 != posT.dim(0)) throw new WeightsFormatException(ck.path(), "vit.positional_embedding has " + posT.dim(0) + " rows, not 1 + a square grid");
        pos = posT.toFloatArray();
        clsToken = ck.floats("vit.cls_token", 1, 1, width);
        conv1 = layers.lin(c1, null);
        lnPre = layers.norm(ck.require("vit.ln_pre.weight", width), ck.require("vit.ln_pre.bias", width), LN_EPS);
        lnPost = layers.norm(ck.require("vit.ln_post.weight", width), ck.require("vit.ln_post.bias", width), LN_EPS);
        int nBlocks = count("vit.transformer.resblocks.");
        if (nBlocks < 1) throw new WeightsFormatException(ck.path(), "missing tensor 'vit.transformer.resblocks.0.*': not a ReCLIP++ checkpoint");
        // head counts are not stored; 64-wide heads are CLIP's (ViT-B/16: 768 / 12, text 512 / 8)
        int vh = heads.vision() > 0 ? heads.vision() : Math.max(1, width / 64);
        for (int i = 0; i < nBlocks; i++) blocks.add(ClipBlock.load(ck, layers, "vit.transformer.resblocks." + i + ".", width, vh, BLOCK_EPS));
        proj = layers.lin(projW, null);

        Tensor prompt = ck.require("text_encoder.prompt_token", 1, any, any);
        prompts = prompt.dim(1);
        textWidth = prompt.dim(2);
        promptTokens = prompt.toFloatArray();
        // GPU-trained checkpoints lack text_encoder.text_projection (docs/seed-heads.md §1): the fp16 CLIP one is the same
        text = ClipTextTower.load(ck, layers, "text_encoder.", heads.text(), "text_encoder.text_projection", "clip.text_projection");
        context = text.context;
        if (text.width != textWidth) throw new WeightsFormatException(ck.path(), "text_encoder.prompt_token is " + textWidth + " wide but the text tower " + text.width);
        if (text.embed != embed) throw new WeightsFormatException(ck.path(), "the text projection gives " + text.embed + " features but the visual projection " + embed);
        if (context != prompts + 4) throw new WeightsFormatException(ck.path(), "text_encoder.prompt_token holds " + prompts + " tokens but the context is " + context + "; expected context - 4 (SOT, 3 name tokens)");

        peW = ck.floats("pe_proj.weight", embed, width, 1, 1);
        peB = ck.floats("pe_proj.bias", embed);
        peProj = layers.lin(peW, embed, width, peB);
        decoder = layers.lin(dec, ck.require("decoder_conv2.bias", classes));
        float[] g = ck.floats("decoder_norm2.weight", classes), b = ck.floats("decoder_norm2.bias", classes);
        float[] mean = ck.floats("decoder_norm2.running_mean", classes), var = ck.floats("decoder_norm2.running_var", classes);
        bnScale = new float[classes];
        bnShift = new float[classes];
        for (int c = 0; c < classes; c++) {
            if (var[c] < 0) throw new WeightsFormatException(ck.path(), "decoder_norm2.running_var[" + c + "] is negative");
            bnScale[c] = g[c];
            bnShift[c] = b[c];
        }
        this.bnMean = mean;
        this.bnVar = var;
    }

    private final float[] bnMean, bnVar;

    /** A head over tensors already read (the caller's {@code ck} is closed with the head). */
    static ReclipHead of(SeedCheckpoint ck, Backend backend, Heads heads) throws IOException {
        HeadLayers layers = new HeadLayers(backend);
        try {
            return new ReclipHead(ck, layers, heads == null ? new Heads(0, 0) : heads);
        } catch (IOException | RuntimeException e) {
            layers.close();   // what was prepared before the failure
            ck.close();
            throw e;
        }
    }

    /** Loads {@code best_weight.pth}; the caller closes the head. */
    public static ReclipHead load(Path checkpoint, Backend backend, Heads heads) throws IOException {
        return of(SeedCheckpoint.open(checkpoint), backend, heads);
    }

    private int count(String prefix) {
        int n = 0;
        while (ck.has(prefix + n + ".ln_1.weight")) n++;
        return n;
    }

    public int classes() {
        return classes;
    }

    public int embedDim() {
        return embed;
    }

    public Path path() {
        return ck.path();
    }

    // ------------------------------------------------------------------ text

    /** The 3 token ids after SOT of each class name: the name, then EOT and padding for short names. */
    static int[][] nameIds(List<String> names) {
        ClipTokenizer tok = ClipTokenizer.openAi();
        int[][] out = new int[names.size()][];
        for (int c = 0; c < out.length; c++) {
            int[] ids = tok.tokenize(names.get(c), ClipTokenizer.CONTEXT_LENGTH, true);
            out[c] = new int[]{ids[1], ids[2], ids[3]};
        }
        return out;
    }

    /**
     * The reference prompts {@code R} [C, embed]: SOT, the learned context, the name's 3 tokens; the text tower;
     * the row at 3 + argmax of the 3 ids after the context; the text projection; one Frobenius norm over the whole
     * matrix (the repository's quirk), {@code raw} receives the values before it.
     */
    public float[] referencePrompts(List<String> names, float[] raw) {
        if (names.size() != classes) throw new IllegalArgumentException(names.size() + " class names given but the decoder of " + ck.path().getFileName() + " has " + classes + " classes");
        int[][] ids = nameIds(names);
        int c = names.size(), L = context, d = textWidth;
        float[] x = new float[c * L * d];
        int[] eot = new int[c];
        for (int k = 0; k < c; k++) {
            int base = k * L * d;
            text.embedToken(ClipTokenizer.SOT, x, base);
            System.arraycopy(promptTokens, 0, x, base + d, prompts * d);
            for (int j = 0; j < 3; j++) text.embedToken(ids[k][j], x, base + (prompts + 1 + j) * d);
            // EOT = the largest of the 3 ids (a long name's own token when EOT was cut off)
            int arg = 0;
            for (int j = 1; j < 3; j++) if (ids[k][j] > ids[k][arg]) arg = j;
            eot[k] = prompts + 1 + arg;
        }
        float[] r = text.encodeEmbedded(x, c, eot);
        if (raw != null) System.arraycopy(r, 0, raw, 0, r.length);
        double s = 0;
        for (float v : r) s += (double) v * v;
        float norm = (float) Math.sqrt(s);
        for (int i = 0; i < r.length; i++) r[i] /= norm;
        return r;
    }

    /**
     * The zero-shot text weights recomputed from the checkpoint's CLIP text tower (docs/seed-heads.md §3): each class
     * through ReCLIP's 85 templates, each row L2-normalised, averaged, normalised again. The released weights came
     * from an fp16 CLIP, so these differ from them by about 1e-3 relative.
     */
    public float[] zeroShotWeights(List<String> names) {
        List<String> templates = templates();
        ClipTokenizer tok = ClipTokenizer.openAi();
        float[] out = new float[names.size() * embed];
        for (int c = 0; c < names.size(); c++) {
            int[][] ids = new int[templates.size()][];
            for (int t = 0; t < ids.length; t++) ids[t] = tok.tokenize(templates.get(t).replace("{}", names.get(c)), context, true);
            float[] f = text.encode(ids);
            HostMath.l2Rows(f, ids.length, embed);
            float[] mean = new float[embed];
            for (int t = 0; t < ids.length; t++) for (int i = 0; i < embed; i++) mean[i] += f[t * embed + i];
            for (int i = 0; i < embed; i++) mean[i] /= ids.length;
            HostMath.l2Rows(mean, 1, embed);
            System.arraycopy(mean, 0, out, c * embed, embed);
        }
        return out;
    }

    /** ReCLIP's 85 templates ({@code utils/prompt_engineering.py}), bundled. */
    static List<String> templates() {
        try (var in = ReclipHead.class.getResourceAsStream("reclip-templates.txt")) {
            if (in == null) throw new IllegalStateException("reclip-templates.txt missing from the jar");
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ image

    /**
     * Segments one image: resize (short side {@code shortSide}, long side capped at 2048), CLIP normalisation,
     * padding to whole patches, the model, the PD class filter with threshold {@code pd} (0 = off), the two bilinear
     * resizes, softmax and argmax.
     *
     * @param textWeights the zero-shot weights {@code Tq} [C, embed], used as given
     * @param refPrompts  {@link #referencePrompts} of the class list
     */
    public Run run(RgbImage image, int shortSide, float pd, float[] textWeights, float[] refPrompts) {
        int C = classes, E = embed, D = width;
        if (textWeights.length != C * E) throw new IllegalArgumentException("text weights hold " + textWeights.length / Math.max(E, 1) + " classes but the decoder has " + C);
        SeedPreprocess.Size s = SeedPreprocess.reclip(image.width(), image.height(), shortSide, 2048);
        RgbImage resized = SeedPreprocess.resize(image, s);
        int H = s.height(), W = s.width();
        int gh = (H + patch - 1) / patch, gw = (W + patch - 1) / patch, hp = gh * patch, wp = gw * patch, n = gh * gw;
        float[] input = SeedPreprocess.normalise(resized, SeedPreprocess.CLIP_MEAN, SeedPreprocess.CLIP_STD, hp, wp);

        float[] posEmbed = spatialPositions(gh, gw);                       // [n, D]
        float[] x = new float[(n + 1) * D];
        float[] patches = HostMath.unfold(input, 3, hp, wp, patch, patch, 0, gh, gw);
        float[] visualOut = new float[n * D], feats;
        try (Backend.Buffer pb = backend.upload(patches); Backend.Buffer xb = backend.allocate((long) (n + 1) * D);
             ClipBlock.Work w = blocks.get(0).work(backend, n + 1)) {
            conv1.apply(backend, pb, n, xb, Epilogue.STORE);
            backend.download(xb, 0, x, D, n * D);
            for (int i = 0; i < D; i++) x[i] = clsToken[i] + pos[i];
            for (int i = 0; i < n * D; i++) x[D + i] += posEmbed[i];
            backend.write(x, 0, x.length, xb, 0);
            lnPre.apply(backend, xb, xb, n + 1);
            int[] starts = {0, n + 1};
            for (int i = 0; i < blocks.size() - 1; i++) blocks.get(i).forward(backend, xb, starts, false, w);
            valuePath(blocks.get(blocks.size() - 1), xb, n + 1, w);
            lnPost.apply(backend, xb, xb, n + 1);
            backend.download(xb, D, visualOut, 0, n * D);
            try (Backend.Buffer vb = backend.upload(visualOut); Backend.Buffer fb = backend.allocate((long) n * E)) {
                proj.apply(backend, vb, n, fb, Epilogue.STORE);
                feats = backend.download(fb);
            }
        }
        HostMath.l2Rows(feats, n, E);
        float[] query = HostMath.mulNT(feats, n, E, textWeights, C);
        float[] pe;
        try (Backend.Buffer pin = backend.upload(posEmbed); Backend.Buffer pout = backend.allocate((long) n * E)) {
            peProj.apply(backend, pin, n, pout, Epilogue.STORE);
            pe = backend.download(pout);
        }
        float[] bias = HostMath.mulNT(pe, n, E, refPrompts, C);
        float[] logitsRows = new float[n * C];
        for (int i = 0; i < logitsRows.length; i++) logitsRows[i] = query[i] - bias[i];

        // decoder input [E + C, gh, gw]: features first, then the logits
        float[] fin = new float[(E + C) * n];
        System.arraycopy(HostMath.transpose(feats, n, E), 0, fin, 0, E * n);
        float[] logits = HostMath.transpose(logitsRows, n, C);
        System.arraycopy(logits, 0, fin, E * n, C * n);
        float[] cols = HostMath.unfold(fin, E + C, gh, gw, kernel, 1, kernel / 2, gh, gw);
        float[] zRows;
        try (Backend.Buffer cb = backend.upload(cols); Backend.Buffer zb = backend.allocate((long) n * C)) {
            decoder.apply(backend, cb, n, zb, Epilogue.STORE);
            zRows = backend.download(zb);
        }
        float[] z = HostMath.transpose(zRows, n, C);
        for (int c = 0; c < C; c++) {
            float sd = (float) Math.sqrt(bnVar[c] + BN_EPS);
            for (int p = 0; p < n; p++) z[c * n + p] = (z[c * n + p] - bnMean[c]) / sd * bnScale[c] + bnShift[c];
        }

        float[] maxProb = new float[C];
        boolean[] keep = pdFilter(z, C, n, pd, maxProb);
        float[] filtered = z.clone();
        for (int c = 0; c < C; c++) if (!keep[c]) java.util.Arrays.fill(filtered, c * n, (c + 1) * n, PD_FILL);
        // the grid covers the padded image but is stretched onto the unpadded size (a repository quirk), then the original
        float[] atResized = Resample.bilinear(filtered, C, gh, gw, H, W);
        int h0 = image.height(), w0 = image.width();
        float[] probs = Resample.bilinear(atResized, C, H, W, h0, w0);
        HostMath.softmaxClasses(probs, C, h0 * w0);
        int[] pred = HostMath.argmax(probs, C, h0 * w0);
        return new Run(resized, input, hp, wp, gh, gw, posEmbed, visualOut, feats, query, pe, bias, logits, z,
                maxProb, keep, filtered, probs, pred);
    }

    /**
     * The last block's value path only: {@code v = out_proj(W_v·ln_1(x) + b_v) + x; v += mlp(ln_2(v))} (the
     * identity attention mixing: every token keeps its own value).
     */
    private void valuePath(ClipBlock b, Backend.Buffer x, int n, ClipBlock.Work w) {
        b.ln1.apply(backend, x, w.h, n);
        b.inProj.apply(backend, w.h, n, w.qkv, Epilogue.STORE);
        backend.attention(AttentionSpec.identity(b.heads, b.width / b.heads), w.qkv, 0, new int[]{0, n}, null, null, w.ctx, 0);
        b.outProj.apply(backend, w.ctx, n, x, Epilogue.ACCUMULATE);
        b.mlp(backend, x, n, w);
    }

    /** The spatial positional embedding bicubic-resized from the stored grid to {@code gh×gw}, as rows [n, D]. */
    private float[] spatialPositions(int gh, int gw) {
        int n0 = grid0 * grid0, D = width;
        float[] planar = new float[D * n0];
        for (int p = 0; p < n0; p++) for (int c = 0; c < D; c++) planar[c * n0 + p] = pos[(1 + p) * D + c];
        float[] r = gh == grid0 && gw == grid0 ? planar
                : Resample.bicubic(planar, D, grid0, grid0, gh, gw, (float) grid0 / gh, (float) grid0 / gw);
        return HostMath.transpose(r, D, gh * gw);
    }

    /**
     * ReCLIP's PD filter: a class survives when {@code softmax(10·Z)} reaches {@code pd} at some grid pixel. With
     * PD = 1.0 that means a float32 probability of exactly 1.0 (docs/seed-heads.md §3: the decision is fragile in the
     * last bit, so the softmax is computed as PyTorch's CPU kernel does: max-subtracted, float sum, divide).
     */
    static boolean[] pdFilter(float[] z, int classes, int n, float pd, float[] maxProb) {
        float[] p = new float[classes * n];
        for (int i = 0; i < p.length; i++) p[i] = PD_SCALE * z[i];
        HostMath.softmaxClasses(p, classes, n);
        boolean[] keep = new boolean[classes];
        for (int c = 0; c < classes; c++) {
            float m = 0;
            for (int q = 0; q < n; q++) m = Math.max(m, p[c * n + q]);
            maxProb[c] = m;
            keep[c] = !(m < pd);
        }
        return keep;
    }

    @Override
    public void close() {
        try {
            layers.close();
        } finally {
            ck.close();
        }
    }
}
