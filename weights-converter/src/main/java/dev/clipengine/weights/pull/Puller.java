package dev.clipengine.weights.pull;

import dev.clipengine.weights.CanonicalWriter;
import dev.clipengine.weights.ClipCheckpoint;
import dev.clipengine.weights.DType;
import dev.clipengine.weights.HeadCounts;
import dev.clipengine.weights.Sha256;
import dev.clipengine.weights.pull.Downloader.DownloadException;
import dev.clipengine.weights.pull.KnownModels.KnownModel;
import dev.clipengine.weights.pull.KnownModels.RemoteFile;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Brings a known model into the cache: downloads its files (verified, resumable, see
 * {@link Downloader}) and converts them to the canonical file the engine maps. A model whose
 * canonical file is already cached costs nothing; a download already in the cache is re-hashed
 * against the published SHA-256 before it is converted.
 *
 * <p>{@code baseUrl} replaces the scheme and host of the official URLs, keeping the path: a
 * mirror laid out like the originals, or a local test server. It comes from {@code --base-url},
 * else {@code $CLIP_ENGINE_BASE_URL}. Offline ({@code $CLIP_ENGINE_OFFLINE=1}) nothing is fetched
 * and the error says where to put each file by hand.
 */
public final class Puller {

    public static final String ENV_BASE_URL = "CLIP_ENGINE_BASE_URL";
    public static final String ENV_OFFLINE = "CLIP_ENGINE_OFFLINE";

    /**
     * @param baseUrl null for the official locations
     * @param heads   head counts given by the user (win over the model's recorded ones)
     */
    public record Options(ModelCache cache, String baseUrl, DType dtype, HeadCounts heads, boolean offline, boolean force) {
        /** Options from the environment for {@code cache} (null: located as {@link ModelCache#locate} says). */
        public static Options fromEnvironment(Path cacheDir, HeadCounts heads) {
            String base = System.getenv(ENV_BASE_URL);
            String off = System.getenv(ENV_OFFLINE);
            boolean offline = off != null && !off.isBlank() && !off.equals("0") && !off.equalsIgnoreCase("false");
            return new Options(ModelCache.locate(cacheDir), base == null || base.isBlank() ? null : base, DType.F32,
                    heads == null ? HeadCounts.NONE : heads, offline, false);
        }
    }

    private final Options options;
    private final Downloader downloader;
    private final Consumer<String> log;

    public Puller(Options options, Progress.Factory progress, Consumer<String> log) {
        this(options, progress, log, Downloader.Limits.DEFAULT);
    }

    /** As above, with the download time limits given (tests shorten them). */
    public Puller(Options options, Progress.Factory progress, Consumer<String> log, Downloader.Limits limits) {
        this.options = options;
        this.downloader = new Downloader(progress, limits);
        this.log = log;
    }

    /** The canonical file of {@code m} in the cache, downloading and converting as needed. */
    public Path pull(KnownModel m) throws IOException {
        ModelCache cache = options.cache();
        Path canonical = cache.canonical(m.slug());
        if (Files.isRegularFile(canonical) && !options.force()) {
            log.accept(m.name() + ": already in the cache at " + canonical);
            return canonical;
        }
        Path dir = cache.downloads(m.slug());
        List<Path> got = new ArrayList<>();
        for (RemoteFile f : m.files()) got.add(fetch(f, dir.resolve(f.fileName())));
        Path source = m.directory() ? dir : got.getFirst();
        HeadCounts heads = new HeadCounts(
                options.heads().vision() != null ? options.heads().vision() : m.heads().vision(),
                options.heads().text() != null ? options.heads().text() : m.heads().text());
        try (ClipCheckpoint ck = ClipCheckpoint.open(source, heads, log)) {
            long size = CanonicalWriter.write(ck, canonical, options.dtype(), Sha256.of(ck.files()));
            log.accept(m.name() + ": converted " + ck.format() + " to " + canonical + " (" + ck.config().summary() + "; "
                    + options.dtype() + ", " + size + " bytes)");
        }
        return canonical;
    }

    private Path fetch(RemoteFile f, Path target) throws IOException {
        URI url = url(f.url(), options.baseUrl());
        Path record = ChecksumRecord.of(target);
        if (Files.isRegularFile(target)) {
            String want = f.sha256() != null ? f.sha256() : ChecksumRecord.read(record);
            String have = Sha256.of(target);
            if (want == null) {
                // cached before checksums were recorded (or put there by hand): record it now, once, and say so
                ChecksumRecord.write(record, have);
                log.accept(target + ": no SHA-256 was published for it; recorded its SHA-256 " + have + " in " + record
                        + ", later runs check the cached file against it");
                return target;
            }
            if (want.equals(have)) return target;
            log.accept("warning: " + target + " does not match its " + (f.sha256() != null ? "published" : "recorded")
                    + " SHA-256; downloading it again");
            Files.delete(target);
            Files.deleteIfExists(record);
        }
        if (options.offline()) {
            throw new DownloadException("offline (" + ENV_OFFLINE + " is set) and " + target + " is not in the cache; "
                    + "download " + url + " by other means and put it there"
                    + (f.sha256() == null ? "" : " (SHA-256 " + f.sha256() + ")") + ", then run this again");
        }
        Downloader.Fetched got = downloader.download(url, target, f.sha256(), f.fileName(), f.maxBytes());
        if (f.sha256() == null) ChecksumRecord.write(record, got.sha256());
        if (!got.checked()) {
            log.accept(url + ": neither published nor stated by the server, so its SHA-256 " + got.sha256()
                    + " was computed on this first download and recorded in " + record
                    + "; later runs check the cached file against it");
        }
        return target;
    }

    /** {@code official} with its scheme and host replaced by {@code baseUrl} (path kept); unchanged when null. */
    public static URI url(String official, String baseUrl) throws DownloadException {
        try {
            URI u = new URI(official);
            if (baseUrl == null) return u;
            String base = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
            return new URI(base + u.getRawPath().substring(1));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new DownloadException("bad download URL '" + (baseUrl == null ? official : baseUrl) + "': " + e.getMessage());
        }
    }
}
