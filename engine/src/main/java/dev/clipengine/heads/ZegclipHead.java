package dev.clipengine.heads;

import dev.clipengine.heads.HeadLayers.Lin;
import dev.clipengine.heads.HeadLayers.Norm;
import dev.clipengine.image.RgbImage;
import dev.clipengine.kernels.AttentionSpec;
import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Epilogue;
import dev.clipengine.kernels.Resample;
import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ZegCLIP and TagCLIP (docs/seed-heads.md) from the user's mmcv checkpoint: a CLIP ViT with deep visual prompts
 * (VPT), the relationship descriptor {@code q_proj([g⊙t, t])} turning each class text row into a query, and a stack
 * of post-norm cross-attention layers whose last head-averaged pre-softmax logits are the class masks. TagCLIP adds
 * the trusty token (an extra query), query self-attention in the layers that keep it, and the trusty weighting of
 * seen and unseen classes. Which of the two a file is, every width, the grid, the prompt count and the layer count
 * come from the checkpoint; crop, stride, short side, head counts and seen classes from its embedded config unless
 * given. Immutable once loaded; thread-safe.
 */
public final class ZegclipHead implements AutoCloseable {

    public enum Family { ZEGCLIP, TAGCLIP }

    /** What one segmentation uses beside the weights; see {@link #defaults()}. */
    public record Settings(int shortSide, int crop, int stride, boolean[] seen, boolean trustyWeighting) {
    }

    /** One window's intermediates, kept for the conformance tests. */
    public record Window(int y1, int x1, float[] tokensLnPre, float[] lastHidden, float[] g, float[] v, float[] queries,
                         List<float[]> masks, List<float[]> outs, float[] trusty) {
    }

    /** A whole image: the resized pixels, the windows, the window average at the resized size, the label map. */
    public record Run(RgbImage resized, float[] pixels, List<Window> windows, float[] logitsResized, int[] pred) {
    }

    static final float LN_EPS = 1e-5f, PROMPT_NORM_EPS = 1e-6f, SEEN_BIAS = 0.1f;

    /** One decoder layer; {@code selfAttn} only where TagCLIP keeps it (ZegCLIP's are stored but never called). */
    private record Layer(Lin selfIn, Lin selfOut, Norm norm1, Lin q, Lin k, Lin v, Lin proj, Norm norm2, Lin fc1,
                         Lin fc2, Norm norm3) {
    }

    private final SeedCheckpoint ck;
    private final HeadLayers layers;
    private final Backend backend;
    private final Family family;
    private final MmsegConfig config;
    private final int width, patch, grid0, embed, prompts, visionHeads, decoderHeads;
    private final float[] classEmbedding, pos, shallowPrompts, deepPrompts, discToken;
    private final Lin conv1, proj, qProj;
    private final Norm lnPre, lnPost, promptNorm;
    private final List<ClipBlock> blocks = new ArrayList<>();
    private final List<Layer> decoder = new ArrayList<>();

    private ZegclipHead(SeedCheckpoint ck, HeadLayers layers, int visionHeadsGiven, int decoderHeadsGiven) throws IOException {
        this.ck = ck;
        this.backend = layers.backend;
        this.layers = layers;
        this.config = MmsegConfig.parse(ck.configText());
        long any = SeedCheckpoint.ANY;
        if (ck.has("decode_head.relationship_discriptor.q_proj.weight")) {
            family = Family.TAGCLIP;
        } else if (ck.has("decode_head.q_proj.weight")) {
            family = Family.ZEGCLIP;
        } else {
            throw new WeightsFormatException(ck.path(), "missing tensor 'decode_head.q_proj.weight' (ZegCLIP) or 'decode_head.relationship_discriptor.q_proj.weight' (TagCLIP): not a checkpoint of these heads");
        }
        Tensor c1 = ck.require("backbone.conv1.weight", any, 3, any, any);
        width = c1.dim(0);
        patch = c1.dim(2);
        if (c1.dim(3) != patch) throw new WeightsFormatException(ck.path(), "backbone.conv1.weight is not a square patch");
        conv1 = layers.lin(c1, null);
        classEmbedding = ck.floats("backbone.class_embedding", width);
        Tensor posT = ck.require("backbone.positional_embedding", any, width);
        grid0 = (int) Math.round(Math.sqrt(posT.dim(0) - 1));
        if (grid0 * grid0 + 1 != posT.dim(0)) throw new WeightsFormatException(ck.path(), "backbone.positional_embedding has " + posT.dim(0) + " rows, not 1 + a square grid");
        pos = posT.toFloatArray();
        lnPre = layers.norm(ck.require("backbone.ln_pre.weight", width), ck.require("backbone.ln_pre.bias", width), LN_EPS);
        lnPost = layers.norm(ck.require("backbone.ln_post.weight", width), ck.require("backbone.ln_post.bias", width), LN_EPS);
        promptNorm = layers.norm(ck.require("backbone.prompt_norm.weight", width), ck.require("backbone.prompt_norm.bias", width), PROMPT_NORM_EPS);
        Tensor projT = ck.require("backbone.proj", width, any);
        embed = projT.dim(1);
        proj = layers.lin(HostMath.transpose(projT.toFloatArray(), width, embed), embed, width, null);

        visionHeads = visionHeadsGiven > 0 ? visionHeadsGiven
                : config.visionHeads() != null ? config.visionHeads() : Math.max(1, width / 64);
        int n = 0;
        while (ck.has("backbone.transformer.resblocks." + n + ".ln_1.weight")) n++;
        if (n < 1) throw new WeightsFormatException(ck.path(), "missing tensor 'backbone.transformer.resblocks.0.ln_1.weight'");
        for (int i = 0; i < n; i++) blocks.add(ClipBlock.load(ck, layers, "backbone.transformer.resblocks." + i + ".", width, visionHeads, LN_EPS));

        // the prompts go through one shared prompt_proj; it depends on nothing else, so do it once here
        Tensor shallow = ck.require("backbone.prompt_embeddings", 1, any, width);
        prompts = shallow.dim(1);
        Tensor deep = ck.require("backbone.deep_prompt_embeddings", any, prompts, width);
        if (deep.dim(0) > n - 1) throw new WeightsFormatException(ck.path(), "backbone.deep_prompt_embeddings holds " + deep.dim(0) + " layers of prompts but the backbone has only " + n + " blocks");
        float[] pw = ck.floats("backbone.prompt_proj.weight", width, width), pb = ck.floats("backbone.prompt_proj.bias", width);
        shallowPrompts = affine(shallow.toFloatArray(), prompts, pw, pb);
        deepPrompts = affine(deep.toFloatArray(), deep.dim(0) * prompts, pw, pb);

        String head = family == Family.ZEGCLIP ? "decode_head.q_proj." : "decode_head.relationship_discriptor.q_proj.";
        qProj = layers.lin(ck.require(head + "weight", embed, 2L * embed), ck.require(head + "bias", embed));
        discToken = family == Family.TAGCLIP ? optionalFloats("decode_head.disc_token", 1, embed) : null;
        decoderHeads = decoderHeadsGiven > 0 ? decoderHeadsGiven : config.decoderHeads() != null ? config.decoderHeads() : 8;
        if (embed % decoderHeads != 0) throw new WeightsFormatException(ck.path(), "decoder width " + embed + " does not split into " + decoderHeads + " heads");
        String lp = family == Family.ZEGCLIP ? "decode_head.decoder_1.layers." : "decode_head.decoder.layers.";
        for (int l = 0; ck.has(lp + l + ".linear1.weight"); l++) decoder.add(layer(lp + l + ".", family == Family.TAGCLIP));
        if (decoder.isEmpty()) throw new WeightsFormatException(ck.path(), "missing tensor '" + lp + "0.linear1.weight'");
    }

    private float[] optionalFloats(String key, long... shape) throws WeightsFormatException {
        Tensor t = ck.optional(key, shape);
        return t == null ? null : t.toFloatArray();
    }

    /** {@code rows · Wᵀ + b} for the prompt tables. */
    private float[] affine(float[] x, int rows, float[] w, float[] b) {
        float[] y = HostMath.mulNT(x, rows, width, w, width);
        for (int r = 0; r < rows; r++) for (int c = 0; c < width; c++) y[r * width + c] += b[c];
        return y;
    }

    private Layer layer(String p, boolean selfAttention) throws WeightsFormatException {
        int e = embed;
        long hidden = ck.require(p + "linear1.weight", SeedCheckpoint.ANY, e).shape()[0];
        Lin selfIn = null, selfOut = null;
        Norm norm1 = null;
        if (selfAttention && ck.has(p + "self_attn.in_proj_weight")) {
            selfIn = layers.lin(ck.require(p + "self_attn.in_proj_weight", 3L * e, e), ck.require(p + "self_attn.in_proj_bias", 3L * e));
            selfOut = layers.lin(ck.require(p + "self_attn.out_proj.weight", e, e), ck.require(p + "self_attn.out_proj.bias", e));
            norm1 = layers.norm(ck.require(p + "norm1.weight", e), ck.require(p + "norm1.bias", e), LN_EPS);
        }
        String a = p + "multihead_attn.";
        return new Layer(selfIn, selfOut, norm1,
                layers.lin(ck.require(a + "q.weight", e, e), ck.require(a + "q.bias", e)),
                layers.lin(ck.require(a + "k.weight", e, e), ck.require(a + "k.bias", e)),
                layers.lin(ck.require(a + "v.weight", e, e), ck.require(a + "v.bias", e)),
                layers.lin(ck.require(a + "proj.weight", e, e), ck.require(a + "proj.bias", e)),
                layers.norm(ck.require(p + "norm2.weight", e), ck.require(p + "norm2.bias", e), LN_EPS),
                layers.lin(ck.require(p + "linear1.weight", hidden, e), ck.require(p + "linear1.bias", hidden)),
                layers.lin(ck.require(p + "linear2.weight", e, hidden), ck.require(p + "linear2.bias", e)),
                layers.norm(ck.require(p + "norm3.weight", e), ck.require(p + "norm3.bias", e), LN_EPS));
    }

    /** A head over tensors already read (the caller's {@code ck} is closed with the head). */
    static ZegclipHead of(SeedCheckpoint ck, Backend backend, int visionHeads, int decoderHeads) throws IOException {
        HeadLayers layers = new HeadLayers(backend);
        try {
            return new ZegclipHead(ck, layers, visionHeads, decoderHeads);
        } catch (IOException | RuntimeException e) {
            layers.close();   // what was prepared before the failure
            ck.close();
            throw e;
        }
    }

    /**
     * Loads an mmcv checkpoint; head counts ≤ 0 mean "from the embedded config, else CLIP's 64-wide heads and the
     * decoder's 8".
     */
    public static ZegclipHead load(Path checkpoint, Backend backend, int visionHeads, int decoderHeads) throws IOException {
        return of(SeedCheckpoint.open(checkpoint), backend, visionHeads, decoderHeads);
    }

    public Family family() {
        return family;
    }

    public int embedDim() {
        return embed;
    }

    public Path path() {
        return ck.path();
    }

    /** Whether this checkpoint has TagCLIP's trusty token (so the weighting can apply). */
    public boolean hasTrustyToken() {
        return discToken != null && !Boolean.FALSE.equals(config.discriminate());
    }

    /**
     * The settings of the embedded config for {@code classes} classes: crop and stride of its {@code test_cfg}, the
     * short side of its {@code Resize(min_size)}, its {@code base_class} as seen (none when {@code self_training}),
     * trusty weighting on. Absent values are the official release's (crop 512 or the positional grid's, stride
     * {@code crop·426/512}).
     */
    public Settings defaults(int classes) {
        int crop = config.crop() != null ? config.crop() : grid0 * patch;
        int stride = config.stride() != null ? config.stride() : crop * 426 / 512;
        int size = config.minSize() != null ? config.minSize() : crop;
        boolean[] seen = new boolean[classes];
        if (!config.selfTraining()) {
            if (config.baseClasses() == null) java.util.Arrays.fill(seen, true);
            else for (int c : config.baseClasses()) if (c >= 0 && c < classes) seen[c] = true;
        }
        return new Settings(size, crop, stride, seen, true);
    }

    /**
     * Class text rows recomputed with the checkpoint's own text encoder, as ZegCLIP does without a
     * {@code load_text_embedding} file: {@code "a photo of a {name}"} (no period), the text tower, L2-normalised
     * (docs/seed-heads.md §4). The released {@code .npy} files came from an fp16 CLIP with the same single template
     * (VOC) or 15 templates (COCO), so prefer those when you have them. The tower is prepared for this call only.
     *
     * @param textHeads its attention heads; ≤ 0: the config's, else width/64
     */
    public float[] textEmbeddings(List<String> names, int textHeads) throws IOException {
        int heads = textHeads > 0 ? textHeads : config.textHeads() != null ? config.textHeads() : 0;
        dev.clipengine.text.ClipTokenizer tok = dev.clipengine.text.ClipTokenizer.openAi();
        try (HeadLayers tower = new HeadLayers(backend)) {
            ClipTextTower t = ClipTextTower.load(ck, tower, "text_encoder.", heads, "text_encoder.text_projection");
            if (t.embed != embed) throw new WeightsFormatException(ck.path(), "the text encoder gives " + t.embed + " features but the decoder takes " + embed);
            int[][] ids = new int[names.size()][];
            for (int c = 0; c < ids.length; c++) ids[c] = tok.tokenize("a photo of a " + names.get(c), t.context, true);
            float[] f = t.encode(ids);
            HostMath.l2Rows(f, ids.length, embed);
            return f;
        }
    }

    // ------------------------------------------------------------------ inference

    /**
     * Segments one image with class text rows {@code text} [C, embed] (the user's {@code .npy}, used as given).
     */
    public Run run(RgbImage image, float[] text, Settings s) {
        int C = s.seen().length, E = embed;
        if (text.length != C * E) throw new IllegalArgumentException("text embeddings hold " + text.length / E + " rows but " + C + " classes were given");
        if (s.shortSide() < s.crop()) throw new IllegalArgumentException("size " + s.shortSide() + " is smaller than the crop " + s.crop() + ": the windows must be whole crops");
        if (s.crop() % patch != 0) throw new IllegalArgumentException("crop " + s.crop() + " is not a multiple of the patch size " + patch);
        if (s.stride() < 1) throw new IllegalArgumentException("stride must be positive, got " + s.stride());
        SeedPreprocess.Size size = SeedPreprocess.mmsegMinSize(image.width(), image.height(), s.shortSide());
        RgbImage resized = SeedPreprocess.resize(image, size);
        int H = size.height(), W = size.width(), cs = s.crop();
        float[] pixels = SeedPreprocess.normalise(resized, SeedPreprocess.IMAGENET_MEAN, SeedPreprocess.IMAGENET_STD, H, W);
        int hg = Math.max(H - cs + s.stride() - 1, 0) / s.stride() + 1, wg = Math.max(W - cs + s.stride() - 1, 0) / s.stride() + 1;
        float[] preds = new float[C * H * W];
        int[] count = new int[H * W];
        List<Window> windows = new ArrayList<>();
        for (int i = 0; i < hg; i++) {
            for (int j = 0; j < wg; j++) {
                int y2 = Math.min(i * s.stride() + cs, H), x2 = Math.min(j * s.stride() + cs, W);
                int y1 = Math.max(y2 - cs, 0), x1 = Math.max(x2 - cs, 0);
                float[] crop = new float[3 * cs * cs];
                for (int c = 0; c < 3; c++) for (int y = 0; y < cs; y++) System.arraycopy(pixels, (c * H + y1 + y) * W + x1, crop, (c * cs + y) * cs, cs);
                float[][] out = new float[1][];
                Window w = window(crop, cs, y1, x1, text, C, s, out);
                windows.add(w);
                for (int c = 0; c < C; c++) {
                    for (int y = 0; y < cs; y++) {
                        int dst = (c * H + y1 + y) * W + x1, src = (c * cs + y) * cs;
                        for (int x = 0; x < cs; x++) preds[dst + x] += out[0][src + x];
                    }
                }
                for (int y = 0; y < cs; y++) for (int x = 0; x < cs; x++) count[(y1 + y) * W + x1 + x]++;
            }
        }
        for (int c = 0; c < C; c++) for (int p = 0; p < H * W; p++) preds[c * H * W + p] /= count[p];
        int h0 = image.height(), w0 = image.width();
        float[] scores = Resample.bilinear(preds, C, H, W, h0, w0);
        HostMath.softmaxClasses(scores, C, h0 * w0);
        return new Run(resized, pixels, windows, preds, HostMath.argmax(scores, C, h0 * w0));
    }

    /** One crop through the encoder and the decoder; {@code out[0]} receives the per-class scores [C, cs, cs]. */
    private Window window(float[] crop, int cs, int y1, int x1, float[] text, int C, Settings s, float[][] out) {
        int D = width, gh = cs / patch, hw = gh * gh, T = prompts, rows = 1 + T + hw;
        float[] tokensLnPre = new float[(1 + hw) * D], lastHidden = new float[rows * D], emb;
        float[] patches = HostMath.unfold(crop, 3, cs, cs, patch, patch, 0, gh, gh);
        float[] posS = spatialPositions(gh);
        try (Backend.Buffer pb = backend.upload(patches); Backend.Buffer tb = backend.allocate((long) (1 + hw) * D);
             Backend.Buffer xb = backend.allocate((long) rows * D); ClipBlock.Work w = blocks.get(0).work(backend, rows);
             Backend.Buffer eb = backend.allocate((long) rows * embed)) {
            conv1.apply(backend, pb, hw, tb, Epilogue.STORE);
            float[] t = new float[(1 + hw) * D];
            backend.download(tb, 0, t, D, hw * D);
            // token 0 = class_embedding + (pos[0] + class_embedding): the repository adds it twice
            for (int i = 0; i < D; i++) t[i] = classEmbedding[i] + (pos[i] + classEmbedding[i]);
            for (int i = 0; i < hw * D; i++) t[D + i] += posS[i];
            backend.write(t, 0, t.length, tb, 0);
            lnPre.apply(backend, tb, tb, 1 + hw);
            backend.download(tb, 0, tokensLnPre, 0, tokensLnPre.length);
            backend.copy(tb, 0, xb, 0, D);
            backend.write(shallowPrompts, 0, T * D, xb, D);
            backend.copy(tb, D, xb, (long) (1 + T) * D, (long) hw * D);
            int[] starts = {0, rows};
            for (int b = 0; b < blocks.size(); b++) {
                if (b >= 1 && (b - 1) * T < deepPrompts.length / D) backend.write(deepPrompts, (b - 1) * T * D, T * D, xb, D);
                blocks.get(b).forward(backend, xb, starts, false, w);
            }
            backend.download(xb, 0, lastHidden, 0, lastHidden.length);
            promptNorm.apply(backend, xb, xb, rows);
            lnPost.apply(backend, xb, xb, rows);
            proj.apply(backend, xb, rows, eb, Epilogue.STORE);
            emb = backend.download(eb);
        }
        int E = embed;
        float[] g = java.util.Arrays.copyOf(emb, E);
        HostMath.l2Rows(g, 1, E);
        float[] v = java.util.Arrays.copyOfRange(emb, (1 + T) * E, rows * E);
        HostMath.l2Rows(v, hw, E);

        boolean trusty = hasTrustyToken();
        int Q = C + (trusty ? 1 : 0);
        float[] qin = new float[Q * 2 * E];
        for (int c = 0; c < Q; c++) {
            for (int i = 0; i < E; i++) {
                float tv = c < C ? text[c * E + i] : discToken[i];
                qin[c * 2 * E + i] = g[i] * tv;        // the product first, then the raw row
                qin[c * 2 * E + E + i] = tv;
            }
        }
        List<float[]> masks = new ArrayList<>(), outs = new ArrayList<>();
        float[] queries = decode(qin, Q, v, hw, masks, outs);

        float[] mask = masks.get(masks.size() - 1);
        float[] p = Resample.bilinear(mask, Q, gh, gh, cs, cs);
        int n = cs * cs;
        for (int i = 0; i < p.length; i++) p[i] = (float) (1.0 / (1.0 + Math.exp(-p[i])));
        for (int c = 0; c < C; c++) if (s.seen()[c]) for (int i = 0; i < n; i++) p[c * n + i] -= SEEN_BIAS;
        float[] trustyMap = null;
        if (trusty) {
            trustyMap = java.util.Arrays.copyOfRange(p, C * n, Q * n);
            if (s.trustyWeighting()) {
                for (int c = 0; c < C; c++) {
                    for (int i = 0; i < n; i++) p[c * n + i] *= s.seen()[c] ? 1 - trustyMap[i] : trustyMap[i];
                }
            }
        }
        out[0] = trusty ? java.util.Arrays.copyOf(p, C * n) : p;
        return new Window(y1, x1, tokensLnPre, lastHidden, g, v, queries, masks, outs, trustyMap);
    }

    /**
     * The relationship descriptor and the decoder layers: returns the initial queries, fills each layer's
     * head-averaged pre-softmax cross-attention logits [Q, hw] and updated queries [Q, E].
     */
    private float[] decode(float[] qin, int Q, float[] v, int hw, List<float[]> masks, List<float[]> outs) {
        int E = embed, heads = decoderHeads, hd = E / heads;
        float[] queries;
        try (Backend.Buffer qb = backend.upload(qin); Backend.Buffer t = backend.allocate((long) Q * E);
             Backend.Buffer mem = backend.upload(v); Backend.Buffer qkv = backend.allocate((long) Q * 3 * E);
             Backend.Buffer ctx = backend.allocate((long) Q * E); Backend.Buffer q = backend.allocate((long) Q * E);
             Backend.Buffer k = backend.allocate((long) hw * E); Backend.Buffer vv = backend.allocate((long) hw * E);
             Backend.Buffer sc = backend.allocate((long) heads * Q * hw)) {
            qProj.apply(backend, qb, Q, t, Epilogue.STORE);
            queries = backend.download(t);
            for (Layer L : decoder) {
                if (L.selfIn() != null) {
                    // TagCLIP's layer 0: t = norm1(t + MHA(t, t, t))
                    L.selfIn().apply(backend, t, Q, qkv, Epilogue.STORE);
                    backend.attention(AttentionSpec.standard(heads, hd, false), qkv, 0, new int[]{0, Q}, null, null, ctx, 0);
                    L.selfOut().apply(backend, ctx, Q, t, Epilogue.ACCUMULATE);
                    L.norm1().apply(backend, t, t, Q);
                }
                L.q().apply(backend, t, Q, q, Epilogue.STORE);
                L.k().apply(backend, mem, hw, k, Epilogue.STORE);
                L.v().apply(backend, mem, hw, vv, Epilogue.STORE);
                // per head (q_h·k_hᵀ)·hd^-1/2: the scale multiplies the product, as the repositories do
                backend.gemmNT(heads, Q, hw, hd, (float) Math.pow(hd, -0.5), q, 0, E, hd, k, 0, E, hd, sc, 0, hw, (long) Q * hw);
                float[] s = backend.download(sc);
                float[] mean = new float[Q * hw];
                for (int h = 0; h < heads; h++) for (int i = 0; i < Q * hw; i++) mean[i] += s[h * Q * hw + i];
                for (int i = 0; i < mean.length; i++) mean[i] /= heads;
                masks.add(mean);
                backend.softmaxRows(sc, 0, hw, heads * Q, hw, false, 0, Q);
                backend.gemmNN(heads, Q, hd, hw, sc, 0, hw, (long) Q * hw, vv, 0, E, hd, ctx, 0, E, hd);
                L.proj().apply(backend, ctx, Q, t, Epilogue.ACCUMULATE);
                L.norm2().apply(backend, t, t, Q);
                int hidden = L.fc1().out();
                try (Backend.Buffer hb = backend.allocate((long) Q * hidden)) {
                    L.fc1().apply(backend, t, Q, hb, Epilogue.STORE);
                    float[] h = backend.download(hb);
                    for (int i = 0; i < h.length; i++) h[i] = Math.max(h[i], 0f);    // the decoders' FFN is ReLU
                    backend.write(h, 0, h.length, hb, 0);
                    L.fc2().apply(backend, hb, Q, t, Epilogue.ACCUMULATE);
                }
                L.norm3().apply(backend, t, t, Q);
                outs.add(backend.download(t));
            }
        }
        return queries;
    }

    /** The stored spatial positional embedding bilinear-resized to {@code g×g} (the identity for the trained crop). */
    private float[] spatialPositions(int g) {
        int n0 = grid0 * grid0, D = width;
        float[] planar = new float[D * n0];
        for (int p = 0; p < n0; p++) for (int c = 0; c < D; c++) planar[c * n0 + p] = pos[(1 + p) * D + c];
        float[] r = g == grid0 ? planar : Resample.bilinear(planar, D, grid0, grid0, g, g);
        return HostMath.transpose(r, D, g * g);
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
