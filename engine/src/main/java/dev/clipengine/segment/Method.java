package dev.clipengine.segment;

import dev.clipengine.model.AttentionMode;
import dev.clipengine.model.LastBlock;

import java.util.Arrays;
import java.util.Locale;

/**
 * The training-free methods, each a mode of the ViT's last block (docs/training-free-methods.md §0, §2); everything else
 * is one network and one protocol. The mid-layer methods ({@link #SCCLIP}, {@link #RESCLIP}) rebuild the last block
 * from the middle blocks' streams and attention instead of changing one attention ({@link #midLayer()}). {@link #CLIPTRASE} is the default and runs its own clustering pipeline
 * ({@link Segmenter}); the others run the slide protocol ({@link SlideSegmenter}).
 */
public enum Method {
    CLIPTRASE("cliptrase", AttentionMode.CLIPTRASE, true),
    /** CLIP as trained. */
    VANILLA("vanilla", AttentionMode.STANDARD, true),
    /** MaskCLIP's structure: identity attention, residual and MLP kept (docs/training-free-methods.md §2.1, §2.2 ignore_residual=False). */
    MASKCLIP("maskclip", AttentionMode.IDENTITY, true),
    /** MaskCLIP as ClearCLIP's code runs it by default: identity attention, no residual, no MLP. */
    MASKCLIP_REDUCED("maskclip-reduced", AttentionMode.IDENTITY, false),
    /** SCLIP: q·q + k·k attention, residual and MLP kept. */
    SCLIP("sclip", AttentionMode.SCLIP, true),
    /** ClearCLIP: q·q attention, no residual, no MLP. */
    CLEARCLIP("clearclip", AttentionMode.QUERY_QUERY, false),
    /** NACLIP: k·k attention plus a Gaussian neighbourhood, no residual, no MLP. */
    NACLIP("naclip", AttentionMode.NACLIP, false),
    /**
     * SC-CLIP: outlier repair and mid-layer aggregation, the last block rebuilt with a mid-layer prior and a
     * multi-level fusion branch (docs/mid-layer-methods.md; {@link dev.clipengine.midlayer.ScClipEncoder}).
     */
    SCCLIP("scclip", null, false),
    /**
     * ResCLIP on NACLIP: mid-layer attention mixed into the last block (RCS) and a second pass steered by the first
     * pass's segmentation (SFR) (docs/mid-layer-methods.md; {@link dev.clipengine.midlayer.ResClipEncoder}).
     */
    RESCLIP("resclip", null, false);

    /** NACLIP's default σ in patches. */
    public static final double DEFAULT_SIGMA = 5.0;

    private final String cliName;
    private final AttentionMode attention;
    private final boolean residual;

    Method(String cliName, AttentionMode attention, boolean residual) {
        this.cliName = cliName;
        this.attention = attention;
        this.residual = residual;
    }

    public String cliName() {
        return cliName;
    }

    /** Whether the method replaces the last block using the middle blocks (SC-CLIP, ResCLIP). */
    public boolean midLayer() {
        return attention == null && this != CLIPTRASE;
    }

    /** The last block of this method ({@code sigma} is used by NACLIP only); not for {@link #midLayer()} methods. */
    public LastBlock lastBlock(double sigma) {
        if (attention == null) throw new IllegalStateException(cliName + " rebuilds the last block from the middle blocks");
        return new LastBlock(attention, residual, this == NACLIP ? sigma : 0);
    }

    public static Method parse(String s) {
        String k = s.toLowerCase(Locale.ROOT);
        for (Method m : values()) if (m.cliName.equals(k)) return m;
        throw new IllegalArgumentException("unknown method '" + s + "' (expected "
                + String.join(", ", Arrays.stream(values()).map(Method::cliName).toList()) + ")");
    }
}
