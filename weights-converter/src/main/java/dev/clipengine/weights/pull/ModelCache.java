package dev.clipengine.weights.pull;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where pulled models live. The folder is, in order: the one given explicitly ({@code --cache-dir}),
 * {@code $CLIP_ENGINE_CACHE}, {@code $XDG_CACHE_HOME/clip-engine}, {@code ~/.cache/clip-engine}.
 * Layout: {@code downloads/<slug>/<file>} the verified downloads as published (with
 * {@code <file>.part} while a download is under way, which a rerun resumes), and
 * {@code <slug>.safetensors} the canonical file the engine maps.
 */
public record ModelCache(Path dir) {

    public static final String ENV_CACHE = "CLIP_ENGINE_CACHE";

    /** The cache from the environment (see the class comment); {@code explicit} wins when not null. */
    public static ModelCache locate(Path explicit) {
        return locate(explicit, System.getenv(), System.getProperty("user.home"));
    }

    /** As {@link #locate(Path)} with the environment and home folder given (tests; the text-feature cache). */
    public static ModelCache locate(Path explicit, Map<String, String> env, String home) {
        if (explicit != null) return new ModelCache(explicit);
        String own = env.get(ENV_CACHE);
        if (own != null && !own.isBlank()) return new ModelCache(Path.of(own));
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return new ModelCache(Path.of(xdg, "clip-engine"));
        return new ModelCache(Path.of(home, ".cache", "clip-engine"));
    }

    public Path downloads(String slug) {
        return dir.resolve("downloads").resolve(slug);
    }

    public Path canonical(String slug) {
        return dir.resolve(slug + ".safetensors");
    }
}
