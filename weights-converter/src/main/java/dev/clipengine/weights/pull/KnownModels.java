package dev.clipengine.weights.pull;

import dev.clipengine.weights.HeadCounts;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The checkpoints {@code pull} knows by name, at their official locations.
 *
 * <p>OpenAI: the TorchScript archives of {@code openai/CLIP}'s {@code clip/clip.py} {@code _MODELS};
 * the SHA-256 is the path component before the file name (that is how {@code clip.py} verifies
 * them). Heads follow OpenAI's {@code build_model} (width/64), recorded here so that converting them
 * needs no guess. Hugging Face: {@code config.json} and {@code model.safetensors} of the
 * {@code openai/clip-vit-*} repositories at {@code resolve/main}. No SHA-256 of those files is
 * published in code we can cite, so none is pinned: the download is verified against the
 * {@code X-Linked-ETag} the Hub sends for LFS files (the file's SHA-256, as the server states it:
 * this catches a damaged or truncated transfer, not a compromised server). When a server states no
 * checksum either (config.json is a small non-LFS file), the SHA-256 of the first download is
 * recorded beside it and every later use is checked against that record (see {@link Downloader}).
 */
public final class KnownModels {

    /**
     * One file of a model: where it is, what to call it, its published SHA-256 (null: none published),
     * and the most bytes it can have: a download the server announces or streams past that is refused,
     * so a broken or hostile server cannot fill the disk.
     */
    public record RemoteFile(String url, String fileName, String sha256, long maxBytes) {
        /** A file of unknown size (a user's {@code --url}): capped at {@link #UNKNOWN_MAX_BYTES}. */
        public RemoteFile(String url, String fileName, String sha256) {
            this(url, fileName, sha256, UNKNOWN_MAX_BYTES);
        }
    }

    /** Cap for a file of a model we do not know: more than any CLIP checkpoint (ViT-bigG/14 in fp32 is 10 GB). */
    public static final long UNKNOWN_MAX_BYTES = 16L << 30;

    /**
     * The cap for a checkpoint of {@code parameters} weights: 4 bytes each (fp32; OpenAI's fp16 archives
     * are half that), 5 % for headers, alignment and TorchScript code, and 16 MiB for small models.
     */
    static long maxBytes(long parameters) {
        return parameters * 4 * 105 / 100 + (16L << 20);
    }

    /** Parameter counts of the architectures (OpenCLIP's model cards; text tower, vision tower and projections). */
    static final long PARAMS_B32 = 151_277_313L, PARAMS_B16 = 149_620_737L, PARAMS_L14 = 427_616_513L,
            PARAMS_L14_336 = 427_944_193L;
    /** config.json of a Hugging Face CLIP is about 4 KB. */
    static final long CONFIG_MAX_BYTES = 1L << 20;

    /**
     * A model: its name, the files to fetch (the first is what is converted, or the folder of all of
     * them for Hugging Face), the head counts to convert with, and its cache folder name.
     */
    public record KnownModel(String name, List<RemoteFile> files, HeadCounts heads, boolean directory) {
        /** File-system-safe form of the name: {@code ViT-L/14@336px} → {@code ViT-L-14-336px}. */
        public String slug() {
            return slug(name);
        }

        static String slug(String name) {
            return name.replace("@", "-").replace('/', '-').replaceAll("[^A-Za-z0-9._-]", "_");
        }
    }

    public static final String OPENAI_BASE = "https://openaipublic.azureedge.net/";
    public static final String HF_BASE = "https://huggingface.co/";

    private static KnownModel openai(String name, String sha, String file, int vh, int th, long params) {
        return new KnownModel(name, List.of(new RemoteFile(OPENAI_BASE + "clip/models/" + sha + "/" + file, file, sha,
                maxBytes(params))), new HeadCounts(vh, th), false);
    }

    private static KnownModel hf(String repo, long params) {
        String base = HF_BASE + repo + "/resolve/main/";
        return new KnownModel(repo, List.of(new RemoteFile(base + "model.safetensors", "model.safetensors", null, maxBytes(params)),
                new RemoteFile(base + "config.json", "config.json", null, CONFIG_MAX_BYTES)), HeadCounts.NONE, true);
    }

    private static final List<KnownModel> ALL = List.of(
            openai("ViT-B/32", "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af", "ViT-B-32.pt", 12, 8, PARAMS_B32),
            openai("ViT-B/16", "5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f", "ViT-B-16.pt", 12, 8, PARAMS_B16),
            openai("ViT-L/14", "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836", "ViT-L-14.pt", 16, 12, PARAMS_L14),
            openai("ViT-L/14@336px", "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02", "ViT-L-14-336px.pt", 16, 12, PARAMS_L14_336),
            hf("openai/clip-vit-base-patch32", PARAMS_B32),
            hf("openai/clip-vit-base-patch16", PARAMS_B16),
            hf("openai/clip-vit-large-patch14", PARAMS_L14),
            hf("openai/clip-vit-large-patch14-336", PARAMS_L14_336));

    private KnownModels() {
    }

    public static List<KnownModel> all() {
        return ALL;
    }

    /** The model called {@code name} ({@code ViT-B/16}, its slug {@code ViT-B-16}, any case). */
    public static Optional<KnownModel> find(String name) {
        if (name == null) return Optional.empty();
        String n = name.strip().toLowerCase(Locale.ROOT);
        for (KnownModel m : ALL) {
            if (m.name().toLowerCase(Locale.ROOT).equals(n) || m.slug().toLowerCase(Locale.ROOT).equals(n)) return Optional.of(m);
        }
        return Optional.empty();
    }

    /** The names, for help and error messages. */
    public static String names() {
        return String.join(", ", ALL.stream().map(KnownModel::name).toList());
    }
}
