package dev.clipengine.segment;

import dev.clipengine.heads.SeedHeadMethod;
import dev.clipengine.heads.SeedHeads;
import dev.clipengine.kernels.Backend;
import dev.clipengine.model.ClipModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A seed head's options ({@code --method reclip++|zegclip|tagclip}, docs/seed-heads.md). Unlike the training-free
 * methods a seed head is not built on a loaded CLIP: its checkpoint holds its own ViT, text tower and decoder, so it
 * is {@link #open opened} on a backend and owns (and closes) what it loaded. Null fields take the checkpoint's or
 * the paper's defaults.
 *
 * @param name            reclip++, zegclip or tagclip
 * @param checkpoint      the user's checkpoint
 * @param classEmbeddings the class text features the checkpoint was trained with (.npy / .pth), or null to recompute
 * @param size            short side (ReCLIP++ default 336; ZegCLIP: the embedded config's)
 * @param crop            ZegCLIP/TagCLIP window (default: the embedded config's)
 * @param stride          ZegCLIP/TagCLIP window stride (default: the embedded config's)
 * @param seenClasses     ZegCLIP/TagCLIP seen-class ranges such as {@code 0-14} or {@code none} (default: the config's)
 * @param pdThreshold     ReCLIP++'s class filter (default 0 = off)
 * @param trustyWeighting TagCLIP's trusty weighting
 * @param visionHeads     attention heads of the ViT (0 = inferred)
 * @param textHeads       attention heads of the text tower (0 = inferred)
 */
public record SeedMethodOptions(String name, Path checkpoint, Path classEmbeddings, Integer size, Integer crop, Integer stride,
                                String seenClasses, Float pdThreshold, boolean trustyWeighting, int visionHeads, int textHeads)
        implements MethodOptions {

    /** The seed heads' names on the command line. */
    public static final List<String> NAMES = List.of("reclip++", "zegclip", "tagclip");

    public SeedMethodOptions {
        name = name.toLowerCase(Locale.ROOT);
        if (!NAMES.contains(name)) throw new IllegalArgumentException("unknown seed head '" + name + "' (expected " + String.join(", ", NAMES) + ")");
    }

    public static boolean isSeedHead(String method) {
        return method != null && NAMES.contains(method.toLowerCase(Locale.ROOT));
    }

    public boolean reclip() {
        return name.equals("reclip++");
    }

    /**
     * Not a {@link Method}: those are modes of a loaded CLIP's last block. Callers that name the method use
     * {@link #name()}.
     */
    @Override
    public Method method() {
        throw new UnsupportedOperationException(name + " is a seed head, not a training-free method; see name()");
    }

    /** None of ours: each head uses its repository's own prompts (ReCLIP++'s 85 templates, ZegCLIP's one). */
    @Override
    public List<String> templates() {
        return List.of();
    }

    /** Refused: a seed head loads its own checkpoint ({@link #open}). */
    @Override
    public SegmentationMethod create(ClipModel model) {
        throw new IllegalArgumentException("--method " + name + " runs its own checkpoint, not a CLIP model; open it with its checkpoint");
    }

    /** Loads the checkpoint on {@code backend}; the method owns what it loaded until {@link SeedHeadMethod#close()}. */
    public SeedHeadMethod open(Backend backend) throws IOException {
        return SeedHeads.open(this, backend);
    }
}
