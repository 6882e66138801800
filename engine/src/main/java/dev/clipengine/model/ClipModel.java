package dev.clipengine.model;

import dev.clipengine.device.BackendSelector;
import dev.clipengine.image.ClipPreprocess;
import dev.clipengine.image.RgbImage;
import dev.clipengine.kernels.Backend;
import dev.clipengine.text.ClipTokenizer;
import dev.clipengine.weights.ClipCheckpoint;
import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.HeadCounts;
import dev.clipengine.weights.WeightsFormatException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A loaded CLIP: both towers over the checkpoint's memory (the big matrices stay mapped off-heap,
 * see architecture.md "Weights") and the logit scale, prepared for one {@link Backend}, chosen when the model is
 * loaded ({@link Options}; the CPU unless told otherwise). Immutable once loaded, so one instance may be
 * shared by any number of threads; {@link #close()} releases the mapping and what the backend holds for the model.
 */
public final class ClipModel implements AutoCloseable {

    /**
     * How a model is loaded.
     *
     * @param heads        head counts for checkpoints that do not record them (null fields: the checkpoint's, or
     *                     OpenAI's {@code width/64} rule)
     * @param backend      where the network runs
     * @param closeBackend whether closing the model also closes the backend (one opened for this model alone)
     */
    public record Options(HeadCounts heads, Backend backend, boolean closeBackend) {

        public Options {
            Objects.requireNonNull(heads, "heads");
            Objects.requireNonNull(backend, "backend");
        }

        /**
         * The checkpoint's head counts, on the process-wide CPU backend (or the device named by
         * {@code -Dclipengine.device}, see {@link BackendSelector#processDefault()}).
         */
        public static Options defaults() {
            return new Options(new HeadCounts(null, null), BackendSelector.processDefault(), false);
        }

        public Options withHeads(HeadCounts h) {
            return new Options(h, backend, closeBackend);
        }

        /** On {@code b}, which the caller keeps and closes. */
        public Options on(Backend b) {
            return new Options(heads, b, false);
        }

        /** On {@code b}, which the model closes with itself. */
        public Options owning(Backend b) {
            return new Options(heads, b, true);
        }
    }

    private final ClipCheckpoint checkpoint;
    private final ClipConfig config;
    private final Backend backend;
    private final boolean closeBackend;
    private final Prepared prepared;
    private final VisionTransformer vision;
    private final TextTransformer text;
    private final float logitScale;

    private ClipModel(ClipCheckpoint checkpoint, Options options) throws WeightsFormatException {
        this.checkpoint = checkpoint;
        this.config = checkpoint.config();
        this.backend = options.backend();
        this.closeBackend = options.closeBackend();
        this.logitScale = (float) Math.exp(checkpoint.tensor("logit_scale").getFloat(0));
        this.prepared = new Prepared(backend);
        try {
            this.vision = buildVision(checkpoint, config, prepared);
            this.text = buildText(checkpoint, config, prepared);
        } catch (RuntimeException | WeightsFormatException e) {
            prepared.close();
            throw e;
        }
    }

    /** The JVM option without which the kernels cannot run; {@link #load} names it when it is missing. */
    public static final String VECTOR_MODULE_FLAG = "--add-modules jdk.incubator.vector";

    /**
     * Loads any checkpoint format the weights module reads (canonical files are mapped without copying), on the CPU.
     *
     * @throws IllegalStateException when the JVM was started without {@value #VECTOR_MODULE_FLAG}
     */
    public static ClipModel load(Path path) throws IOException {
        requireVectorModule();
        return load(path, Options.defaults());
    }

    public static ClipModel load(Path path, HeadCounts heads) throws IOException {
        requireVectorModule();
        return load(path, Options.defaults().withHeads(heads));
    }

    /** On {@code backend}, which the caller keeps and closes after the model. */
    public static ClipModel load(Path path, Backend backend) throws IOException {
        requireVectorModule();
        return load(path, Options.defaults().on(backend));
    }

    public static ClipModel load(Path path, Options options) throws IOException {
        requireVectorModule();
        ClipCheckpoint ckpt;
        try {
            ckpt = ClipCheckpoint.open(path, options.heads());
        } catch (IOException | RuntimeException e) {
            if (options.closeBackend()) options.backend().close();
            throw e;
        }
        try {
            return new ClipModel(ckpt, options);
        } catch (RuntimeException | WeightsFormatException e) {
            ckpt.close();
            if (options.closeBackend()) options.backend().close();
            throw e;
        }
    }

    /**
     * The kernels are written on {@code jdk.incubator.vector}, an incubator module that the JVM resolves only when
     * asked to. Without it a library caller's model loaded fine and the first forward pass died with
     * {@code NoClassDefFoundError: jdk/incubator/vector/Vector}; this says what to add, before anything is mapped.
     * (Checked first in every {@code load}, ahead of {@link Options#defaults()}, which may reach the CPU backend.)
     */
    static void requireVectorModule() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("clip-engine needs the Vector API, which this JVM was started without: add the"
                    + " JVM options " + VECTOR_MODULE_FLAG + " --enable-native-access=ALL-UNNAMED (README, \"Segmenting from Java\")");
        }
    }

    public ClipConfig config() {
        return config;
    }

    /** Where the network runs; the segmentation's DBSCAN runs there too. */
    public Backend backend() {
        return backend;
    }

    public VisionTransformer vision() {
        return vision;
    }

    public TextTransformer text() {
        return text;
    }

    /** {@code exp(logit_scale)} as read from the checkpoint (100 for OpenAI's release). */
    public float logitScale() {
        return logitScale;
    }

    /** Token ids (padded to the context length) and the projected text feature of one text. */
    public record TextEmbedding(String text, int[] ids, float[] embedding) {
    }

    /** Tokenizes (OpenAI BPE, truncated to the context with EOT last) and encodes one text. */
    public TextEmbedding embedText(String textInput) {
        int[] ids = ClipTokenizer.openAi().tokenize(textInput, text.contextLength());
        return new TextEmbedding(textInput, ids, text.encode(ids));
    }

    /**
     * Projected text features of many texts, encoded as one batch (the text tower reads its weights once for all of
     * them); row i equals {@code embedText(texts.get(i)).embedding()}.
     */
    public float[][] embedTexts(java.util.List<String> texts) {
        ClipTokenizer tokenizer = ClipTokenizer.openAi();
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = tokenizer.tokenize(texts.get(i), text.contextLength());
        return text.encode(ids);
    }

    /**
     * CLIP's image embedding with the reference preprocessing (short side to {@code size} with
     * PIL-exact bicubic, centre crop, normalize), not normalized.
     */
    public VisionOutput encodeImage(RgbImage image, int size, PositionalInterpolation interpolation) {
        checkImageSize(size);
        float[] pixels = ClipPreprocess.clipPixels(image, size);
        return vision.forward(pixels, size, size, VisionRequest.clip(interpolation));
    }

    /** Refuses sizes the image tower cannot take, with a message a user can act on. */
    public void checkImageSize(int size) {
        int p = config.patchSize();
        if (size <= 0 || size % p != 0) {
            throw new IllegalArgumentException("size " + size + " is not a positive multiple of the patch size " + p);
        }
        if (size > MAX_IMAGE_SIZE) {
            throw new IllegalArgumentException("size " + size + " is larger than the supported " + MAX_IMAGE_SIZE);
        }
    }

    /** Largest network input side: 4096 tokens at patch 16, whose attention still fits a small heap. */
    public static final int MAX_IMAGE_SIZE = 1024;

    private volatile String fingerprint;
    private volatile boolean fingerprintTried;

    /**
     * A cheap identity of the weight files ({@link ModelFingerprint}), computed on first use; null when the files
     * cannot be read any more (a random model's deleted temporary file): nothing derived from the weights is then
     * kept beyond this process.
     */
    public String fingerprint() {
        if (!fingerprintTried) {
            synchronized (this) {
                if (!fingerprintTried) {
                    try {
                        fingerprint = ModelFingerprint.of(checkpoint.files());
                    } catch (IOException | RuntimeException e) {
                        fingerprint = null;
                    }
                    fingerprintTried = true;
                }
            }
        }
        return fingerprint;
    }

    /** Where the weights came from and in which format. */
    public String describe() {
        return checkpoint.source() + " (" + checkpoint.format() + ")";
    }

    /** Releases what the backend holds for this model, the mapping, and the backend if the model owns it. */
    @Override
    public void close() {
        try {
            vision.close();
            prepared.close();
        } finally {
            try {
                checkpoint.close();
            } finally {
                if (closeBackend) backend.close();
            }
        }
    }

    private static VisionTransformer buildVision(ClipCheckpoint c, ClipConfig cfg, Prepared p) throws WeightsFormatException {
        ResidualBlock[] blocks = new ResidualBlock[cfg.visionLayers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = block(c, p, "visual.transformer.resblocks." + i + ".", cfg.visionHeads());
        }
        int nativeGrid = cfg.imageSize() / cfg.patchSize();
        return new VisionTransformer(p.backend(),
                p.weights(Linear.matrix(c.tensor("visual.conv1.weight"))),
                p.upload(c.tensor("visual.class_embedding").toFloatArray()),
                c.tensor("visual.positional_embedding").toFloatArray(),
                ln(c, p, "visual.ln_pre"), blocks, ln(c, p, "visual.ln_post"),
                p.weights(Linear.matrix(c.tensor("visual.proj"))),
                cfg.patchSize(), nativeGrid, cfg.visionHeads());
    }

    private static TextTransformer buildText(ClipCheckpoint c, ClipConfig cfg, Prepared p) throws WeightsFormatException {
        ResidualBlock[] blocks = new ResidualBlock[cfg.textLayers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = block(c, p, "transformer.resblocks." + i + ".", cfg.textHeads());
        }
        return new TextTransformer(p.backend(),
                Linear.matrix(c.tensor("token_embedding.weight")),
                c.tensor("positional_embedding").toFloatArray(),
                blocks, ln(c, p, "ln_final"),
                p.weights(Linear.matrix(c.tensor("text_projection"))));
    }

    private static ResidualBlock block(ClipCheckpoint c, Prepared p, String name, int heads) throws WeightsFormatException {
        return new ResidualBlock(p.backend(),
                ln(c, p, name + "ln_1"),
                Linear.of(p, c.tensor(name + "attn.in_proj_weight"), c.tensor(name + "attn.in_proj_bias")),
                Linear.of(p, c.tensor(name + "attn.out_proj.weight"), c.tensor(name + "attn.out_proj.bias")),
                ln(c, p, name + "ln_2"),
                Linear.of(p, c.tensor(name + "mlp.c_fc.weight"), c.tensor(name + "mlp.c_fc.bias")),
                Linear.of(p, c.tensor(name + "mlp.c_proj.weight"), c.tensor(name + "mlp.c_proj.bias")),
                heads);
    }

    private static LayerNorm ln(ClipCheckpoint c, Prepared p, String name) throws WeightsFormatException {
        return LayerNorm.of(p, c.tensor(name + ".weight").toFloatArray(), c.tensor(name + ".bias").toFloatArray());
    }
}
