package dev.clipengine.weights.pull;

import dev.clipengine.weights.HeadCounts;
import dev.clipengine.weights.pull.KnownModels.KnownModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code --model X} means: an existing file or folder is itself; otherwise a model name
 * ({@code ViT-B/16}, {@code openai/clip-vit-base-patch16}, or any name pulled before with
 * {@code pull NAME --url ...}) is its canonical file in the cache, pulled first when it is a known
 * model not cached yet (unless offline). Anything else is reported as a missing file by the caller.
 */
public final class ModelResolver {

    private ModelResolver() {
    }

    /**
     * The weights to load for {@code arg}, or empty when it is neither an existing path nor a model
     * name. Downloads print their progress and notes on {@code err}.
     */
    public static Optional<Path> resolve(String arg, HeadCounts heads, PrintWriter err) throws IOException {
        Path p = pathOrNull(arg);
        if (p != null && Files.exists(p)) return Optional.of(p);
        Puller.Options o = Puller.Options.fromEnvironment(null, heads);
        Optional<KnownModel> known = KnownModels.find(arg);
        String slug = known.map(KnownModel::slug).orElse(KnownModels.KnownModel.slug(arg));
        Path cached = o.cache().canonical(slug);
        if (Files.isRegularFile(cached)) return Optional.of(cached);
        if (known.isEmpty()) return Optional.empty();
        boolean terminal = System.console() != null && System.console().isTerminal();
        Puller puller = new Puller(o, Progress.to(err, terminal), line -> { err.println(line); err.flush(); });
        return Optional.of(puller.pull(known.get()));
    }

    private static Path pathOrNull(String s) {
        try {
            return Path.of(s);
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }
}
