package dev.clipengine.segment;

import dev.clipengine.segmentation.AtomicFiles;
import dev.clipengine.weights.pull.ModelCache;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Class text features kept on disk between runs, so that a new process segmenting with a vocabulary it has seen
 * before skips the text tower (6 classes × 80 templates: 4 s of a 7 s cold {@code segment} with ViT-B/16). See
 * docs/command-line.md "Caches".
 *
 * <p>One file per (model identity, backend, class names, templates, {@link #FORMAT}) under
 * {@code <user cache>/text-features/}, named by the SHA-256 of that key and holding the key again, the shape, the
 * fp32 rows and a CRC-32: a truncated, damaged or foreign file is ignored (and rewritten by the caller), never
 * trusted. Files are written atomically (temporary file and rename), and the folder is kept under a size bound by
 * deleting the least recently used files (a hit refreshes its file's modification time).
 *
 * <p>Off with {@code CLIP_ENGINE_TEXT_CACHE=off} or {@code -Dclipengine.textCache=off}; bound in MiB with
 * {@code CLIP_ENGINE_TEXT_CACHE_MB} or {@code -Dclipengine.textCache.mb} (default {@value #DEFAULT_MAX_MB}).
 */
public final class TextFeatureStore {

    /**
     * Bumped whenever the text tower's numerics or the ensembling change, so that features computed by an older
     * engine are not read as this one's (they would differ in the last bits and break byte-identical label maps).
     */
    static final int FORMAT = 1;
    static final String ENV_SWITCH = "CLIP_ENGINE_TEXT_CACHE";
    static final String ENV_MB = "CLIP_ENGINE_TEXT_CACHE_MB";
    static final String PROPERTY_SWITCH = "clipengine.textCache";
    static final String PROPERTY_MB = "clipengine.textCache.mb";
    static final long DEFAULT_MAX_MB = 64;
    static final String SUFFIX = ".f32";
    private static final byte[] MAGIC = "CLIPTXT1".getBytes(StandardCharsets.US_ASCII);
    private static final int KEY_BYTES = 32;
    private static final int HEADER = MAGIC.length + KEY_BYTES + 8;

    private final Path dir;
    private final long maxBytes;

    /** A store in {@code dir} holding at most {@code maxBytes} of files. */
    public TextFeatureStore(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    /** The store the environment asks for (see the class comment), or null when it is switched off. */
    public static TextFeatureStore fromEnvironment() {
        return fromEnvironment(System.getenv(), System.getProperty(PROPERTY_SWITCH), System.getProperty(PROPERTY_MB),
                System.getProperty("user.home"));
    }

    static TextFeatureStore fromEnvironment(Map<String, String> env, String switchProperty, String mbProperty, String home) {
        String sw = switchProperty != null ? switchProperty : env.get(ENV_SWITCH);
        if (sw != null && List.of("off", "0", "false", "no").contains(sw.strip().toLowerCase(java.util.Locale.ROOT))) {
            return null;
        }
        String mb = mbProperty != null ? mbProperty : env.get(ENV_MB);
        long max = DEFAULT_MAX_MB;
        if (mb != null) {
            try {
                max = Long.parseLong(mb.strip());
            } catch (NumberFormatException e) {
                max = DEFAULT_MAX_MB; // a cache setting is not worth failing a run for
            }
        }
        if (max <= 0) return null;
        Path root = ModelCache.locate(null, env, home).dir();
        return new TextFeatureStore(root.resolve("text-features"), max << 20);
    }

    public Path dir() {
        return dir;
    }

    /** The SHA-256 naming one set of features. */
    public static byte[] key(String modelFingerprint, String backend, List<String> names, List<String> templates) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        var bytes = new java.io.ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(FORMAT);
            writeString(out, modelFingerprint);
            writeString(out, backend);
            // length-prefixed: ("a,b") and ("a", "b") must not collide
            out.writeInt(names.size());
            for (String n : names) writeString(out, n);
            out.writeInt(templates.size());
            for (String t : templates) writeString(out, t);
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory
        }
        return md.digest(bytes.toByteArray());
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    Path file(byte[] key) {
        return dir.resolve(HexFormat.of().formatHex(key) + SUFFIX);
    }

    /**
     * The rows stored under {@code key}, or null when there are none or the file is not a complete, intact entry
     * for exactly this key with {@code rows} finite rows.
     */
    public float[][] load(byte[] key, int rows) {
        Path f = file(key);
        byte[] b;
        try {
            b = Files.readAllBytes(f);
        } catch (IOException | RuntimeException e) {
            return null; // none yet (NoSuchFileException), or unreadable: a miss either way
        }
        float[][] parsed = parse(b, key, rows);
        if (parsed != null) {
            try {
                Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis())); // least recently used
            } catch (IOException | RuntimeException e) {
                // read-only cache: still a hit
            }
        }
        return parsed;
    }

    private static float[][] parse(byte[] b, byte[] key, int rows) {
        if (b.length < HEADER + 4) return null;
        ByteBuffer in = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (!Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) return null;
        if (!Arrays.equals(b, MAGIC.length, MAGIC.length + KEY_BYTES, key, 0, KEY_BYTES)) return null;
        int r = in.getInt(MAGIC.length + KEY_BYTES), c = in.getInt(MAGIC.length + KEY_BYTES + 4);
        if (r != rows || c <= 0 || (long) HEADER + 4L * r * c + 4 != b.length) return null;
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        if ((int) crc.getValue() != in.getInt(b.length - 4)) return null;
        float[][] out = new float[r][c];
        int at = HEADER;
        for (float[] row : out) {
            for (int j = 0; j < c; j++, at += 4) {
                row[j] = in.getFloat(at);
                if (!Float.isFinite(row[j])) return null;
            }
        }
        return out;
    }

    /**
     * Stores {@code rows} under {@code key} (atomically), then deletes the least recently used files beyond the
     * bound. Failures are swallowed: the cache is an optimisation, and a read-only or full disk must not fail a run.
     * Returns whether the entry was written.
     */
    public boolean save(byte[] key, float[][] rows) {
        if (rows.length == 0 || rows[0].length == 0) return false;
        int c = rows[0].length;
        long size = HEADER + 4L * rows.length * c + 4;
        if (size > maxBytes) return false;
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put(key).putInt(rows.length).putInt(c);
        for (float[] row : rows) {
            if (row.length != c) throw new IllegalArgumentException("ragged feature rows");
            for (float v : row) b.putFloat(v);
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        try {
            Files.createDirectories(dir);
            AtomicFiles.write(file(key), out -> out.write(b.array()));
        } catch (IOException | RuntimeException e) {
            return false;
        }
        prune(file(key));
        return true;
    }

    /** Deletes the least recently used entries (oldest modification time first) until the folder fits the bound. */
    void prune(Path keep) {
        record Entry(Path path, long size, long modified) {
        }
        List<Entry> entries = new ArrayList<>();
        long total = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) {
                try {
                    var a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
                    if (!a.isRegularFile()) continue;
                    entries.add(new Entry(p, a.size(), a.lastModifiedTime().toMillis()));
                    total += a.size();
                } catch (IOException e) {
                    // deleted by another process meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return;
        }
        if (total <= maxBytes) return;
        entries.sort(Comparator.comparingLong(Entry::modified));
        for (Entry e : entries) {
            if (total <= maxBytes) break;
            if (e.path().equals(keep)) continue;
            try {
                Files.deleteIfExists(e.path());
                total -= e.size();
            } catch (IOException ignored) {
                // another process's; it prunes too
            }
        }
    }
}
