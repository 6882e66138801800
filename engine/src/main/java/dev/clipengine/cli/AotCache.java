package dev.clipengine.cli;

import dev.clipengine.weights.pull.ModelCache;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JDK 25 ahead-of-time cache (JEP 483/514/515: classes loaded and linked, method profiles) for the re-launched
 * {@code segment} JVM, made on first use in the user cache and used after. Opt-in with {@code CLIP_ENGINE_AOT=on}:
 * measured on a busy 2-core machine it saved about 0.15 CPU-s of a tiny-model run and nothing measurable of a
 * ViT-B/16 one, while the first run pays for recording and for assembling the 26 MB cache (about 1 s); see
 * docs/command-line.md "Caches".
 *
 * <p>Two steps, so that no run prints what the one-step {@code -XX:AOTCacheOutput} prints on stdout: the first run
 * records ({@code -XX:AOTMode=record}; its one unconditional stdout line is dropped by {@link #copyStdout}), then the
 * launcher assembles the cache ({@code -XX:AOTMode=create}, output discarded) into a temporary file that is renamed
 * into place. The file is named by the JVM, the jar (path, size, time) and the JVM options, all of which an AOT cache
 * must match; a cache that does not map is ignored by the JVM, silently with the logging switched off.
 */
final class AotCache {

    static final String ENV = "CLIP_ENGINE_AOT";
    static final String RECORDED_LINE = " AOTConfiguration recorded: ";
    private static final List<String> QUIET = List.of("-Xlog:aot*=off", "-Xlog:cds*=off");

    private final Path cache;
    private final Path config;
    private final boolean recording;

    private AotCache(Path cache) {
        this.cache = cache;
        this.config = cache.resolveSibling(cache.getFileName() + "." + ProcessHandle.current().pid() + ".conf");
        this.recording = !Files.isRegularFile(cache);
    }

    /**
     * The cache for this run, or null: not asked for, not {@code segment}, JVM options that choose their own class
     * data sharing, or no jar.
     */
    static AotCache forRun(String[] args, List<String> jvmOptions, Path jar, Map<String, String> env, String home) {
        String on = env.get(ENV);
        if (on == null || !List.of("on", "1", "true", "yes").contains(on.strip().toLowerCase(Locale.ROOT))) return null;
        if (args.length == 0 || !args[0].equals("segment") || jar == null || !Files.isRegularFile(jar)) return null;
        for (String o : jvmOptions) {
            if (o.startsWith("-Xshare") || o.contains("SharedArchiveFile") || o.contains("AOT")) return null;
        }
        try {
            Path dir = ModelCache.locate(null, env, home).dir().resolve("aot");
            Files.createDirectories(dir);
            deleteLeftovers(dir);
            return new AotCache(dir.resolve(name(jar, jvmOptions) + ".aot"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Deletes the recordings and half-assembled caches ({@code NAME.aot.PID.conf}, {@code NAME.aot.PID.tmp}, 26 MB
     * each) of launchers that were killed: their process is gone.
     */
    static void deleteLeftovers(Path dir) {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(".+\\.aot\\.(\\d+)\\.(conf|tmp)");
        try (var files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                var m = p.matcher(f.getFileName().toString());
                if (m.matches() && !ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false)) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            // left for the next run
        }
    }

    static String name(Path jar, List<String> jvmOptions) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<String> parts = new ArrayList<>(List.of(System.getProperty("java.home"), System.getProperty("java.vm.version"),
                jar.toAbsolutePath().toString(), Long.toString(Files.size(jar)),
                Long.toString(Files.getLastModifiedTime(jar).toMillis())));
        parts.addAll(jvmOptions);
        for (String p : parts) md.update((p + "\n").getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest(), 0, 16);
    }

    boolean recording() {
        return recording;
    }

    /** Options for the child JVM: record this run, or use the cache. */
    List<String> childOptions() {
        List<String> o = new ArrayList<>(QUIET);
        if (recording) {
            o.add("-XX:AOTMode=record");
            o.add("-XX:AOTConfiguration=" + config);
        } else {
            o.add("-XX:AOTCache=" + cache);
        }
        return o;
    }

    /**
     * After a recording child exited normally: assembles the cache from what it recorded with {@code java} and the
     * same options and class path, then deletes the recording. Never fails the run.
     */
    void afterRun(int exitCode, List<String> javaAndOptions, String classPath) {
        if (!recording) return;
        try {
            if (exitCode == 0 && Files.isRegularFile(config)) {
                Path tmp = cache.resolveSibling(cache.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
                List<String> cmd = new ArrayList<>(javaAndOptions);
                cmd.addAll(QUIET);
                cmd.addAll(List.of("-XX:AOTMode=create", "-XX:AOTConfiguration=" + config, "-XX:AOTCache=" + tmp,
                        "-cp", classPath));
                Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor() == 0 && Files.isRegularFile(tmp)) {
                    Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException e) {
            // no cache: the next run records again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Files.deleteIfExists(config);
            } catch (IOException ignored) {
                // a stray recording in the cache folder; harmless
            }
        }
    }

    /** Copies a recording child's stdout, dropping the line the JVM prints there when it saves its recording. */
    static void copyStdout(InputStream in, OutputStream out) {
        try {
            byte[] buf = new byte[8192];
            java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
            int r;
            while ((r = in.read(buf)) != -1) {
                for (int i = 0; i < r; i++) {
                    pending.write(buf[i]);
                    if (buf[i] == '\n') flushLine(pending, out);
                }
                // a partial line that cannot be the JVM's is passed on at once (progress, prompts)
                String s = pending.toString(StandardCharsets.UTF_8);
                boolean couldBeJvm = s.length() <= RECORDED_LINE.length() ? RECORDED_LINE.startsWith(s) : s.startsWith(RECORDED_LINE);
                if (!couldBeJvm) {
                    out.write(pending.toByteArray());
                    pending.reset();
                }
                out.flush();
            }
            if (pending.size() > 0) flushLine(pending, out);
            out.flush();
        } catch (IOException ignored) {
            // the reader is gone
        }
    }

    private static void flushLine(java.io.ByteArrayOutputStream pending, OutputStream out) throws IOException {
        if (!pending.toString(StandardCharsets.UTF_8).startsWith(RECORDED_LINE)) out.write(pending.toByteArray());
        pending.reset();
    }
}
