package dev.clipengine.model;

import dev.clipengine.image.ClipPreprocess;
import dev.clipengine.image.RgbImage;
import dev.clipengine.kernels.CpuBackend;
import dev.clipengine.text.ClipTokenizer;
import dev.clipengine.weights.ClipCheckpoint;
import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.HeadCounts;
import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A loaded CLIP: both towers over the checkpoint's memory (the big matrices stay mapped off-heap,
 * see architecture.md "Weights") and the logit scale. Immutable once loaded, so one instance may be
 * shared by any number of threads; {@link #close()} releases the mapping.
 */
public final class ClipModel implements AutoCloseable {

    private final ClipCheckpoint checkpoint;
    private final ClipConfig config;
    private final VisionTransformer vision;
    private final TextTransformer text;
    private final float logitScale;

    private ClipModel(ClipCheckpoint checkpoint, CpuBackend cpu) throws WeightsFormatException {
        this.checkpoint = checkpoint;
        this.config = checkpoint.config();
        this.vision = buildVision(checkpoint, config, cpu);
        this.text = buildText(checkpoint, config, cpu);
        this.logitScale = (float) Math.exp(checkpoint.tensor("logit_scale").getFloat(0));
    }

    /** Loads any checkpoint format the weights module reads (canonical files are mapped without copying). */
    public static ClipModel load(Path path) throws IOException {
        return load(path, new HeadCounts(null, null));
    }

    public static ClipModel load(Path path, HeadCounts heads) throws IOException {
        ClipCheckpoint ckpt = ClipCheckpoint.open(path, heads);
        try {
            return new ClipModel(ckpt, CpuBackend.shared());
        } catch (RuntimeException | WeightsFormatException e) {
            ckpt.close();
            throw e;
        }
    }

    public ClipConfig config() {
        return config;
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
        return vision.forward(pixels, size, size, interpolation, AttentionMode.STANDARD, false, false);
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

    /** Where the weights came from and in which format. */
    public String describe() {
        return checkpoint.source() + " (" + checkpoint.format() + ")";
    }

    @Override
    public void close() {
        checkpoint.close();
    }

    private static VisionTransformer buildVision(ClipCheckpoint c, ClipConfig cfg, CpuBackend cpu) throws WeightsFormatException {
        ResidualBlock[] blocks = new ResidualBlock[cfg.visionLayers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = block(c, "visual.transformer.resblocks." + i + ".", cfg.visionHeads());
        }
        int nativeGrid = cfg.imageSize() / cfg.patchSize();
        return new VisionTransformer(cpu,
                Linear.matrix(c.tensor("visual.conv1.weight")),
                c.tensor("visual.class_embedding").toFloatArray(),
                c.tensor("visual.positional_embedding").toFloatArray(),
                ln(c, "visual.ln_pre"), blocks, ln(c, "visual.ln_post"),
                Linear.matrix(c.tensor("visual.proj")),
                cfg.patchSize(), nativeGrid, cfg.visionHeads());
    }

    private static TextTransformer buildText(ClipCheckpoint c, ClipConfig cfg, CpuBackend cpu) throws WeightsFormatException {
        ResidualBlock[] blocks = new ResidualBlock[cfg.textLayers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = block(c, "transformer.resblocks." + i + ".", cfg.textHeads());
        }
        return new TextTransformer(cpu,
                Linear.matrix(c.tensor("token_embedding.weight")),
                c.tensor("positional_embedding").toFloatArray(),
                blocks, ln(c, "ln_final"),
                Linear.matrix(c.tensor("text_projection")));
    }

    private static ResidualBlock block(ClipCheckpoint c, String p, int heads) throws WeightsFormatException {
        return new ResidualBlock(
                ln(c, p + "ln_1"),
                Linear.of(c.tensor(p + "attn.in_proj_weight"), c.tensor(p + "attn.in_proj_bias")),
                Linear.of(c.tensor(p + "attn.out_proj.weight"), c.tensor(p + "attn.out_proj.bias")),
                ln(c, p + "ln_2"),
                Linear.of(c.tensor(p + "mlp.c_fc.weight"), c.tensor(p + "mlp.c_fc.bias")),
                Linear.of(c.tensor(p + "mlp.c_proj.weight"), c.tensor(p + "mlp.c_proj.bias")),
                heads);
    }

    private static LayerNorm ln(ClipCheckpoint c, String name) throws WeightsFormatException {
        return LayerNorm.of(c.tensor(name + ".weight"), c.tensor(name + ".bias"));
    }
}
