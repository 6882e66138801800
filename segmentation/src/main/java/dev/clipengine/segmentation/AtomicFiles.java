package dev.clipengine.segmentation;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a file atomically: a temporary file in the target's directory, then an atomic rename over the target.
 * Never replaces something that is not a regular file, and cleans up the temporary files of killed writers.
 */
public final class AtomicFiles {

    /** Temporary files are {@code .NAME.PID-RANDOM.tmp} beside the target. */
    static final String SUFFIX = ".tmp";
    private static final Pattern TEMP_NAME = Pattern.compile("\\..+\\.(\\d+)-\\d+\\.tmp");
    private static final Set<Path> CLEANED = ConcurrentHashMap.newKeySet();

    /** Body that writes the file's content. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Writes through a temporary file beside {@code target} and moves it into place with
     * {@code ATOMIC_MOVE, REPLACE_EXISTING}; the temporary file is deleted if anything fails. Readers never see a
     * partial file.
     */
    public static void write(Path target, Writer body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) throw new IOException("no parent directory for " + target);
        refuseNonRegular(abs);
        cleanLeftovers(dir);
        Path tmp = createBeside(dir, prefix(abs) + ProcessHandle.current().pid() + "-", SUFFIX);
        boolean ok = false;
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
                body.write(out);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("file system cannot rename atomically into " + dir, e);
            }
            ok = true;
        } finally {
            if (!ok) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is what matters
                }
            }
        }
    }

    /**
     * Throws when {@code target} exists and is not a regular file: the rename would replace a device or
     * a FIFO (as root, {@code /dev/null}) with a regular file. Refused rather than written through, so
     * that what is at {@code target} afterwards is always the complete output.
     */
    public static void refuseNonRegular(Path target) throws IOException {
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            String what = Files.isDirectory(target) ? "a directory" : "not a regular file (a device, FIFO or socket)";
            throw new IOException(target + ": exists and is " + what + "; refusing to replace it (write to a regular file)");
        }
    }

    /**
     * Deletes the temporary files of earlier writes into {@code dir} whose process is gone (a write killed
     * with SIGKILL cannot delete its own); temporary names carry the writer's process id, so those of a
     * writer still running are left alone. Done once per folder per process (a batch of thousands of
     * images lists its folder once, not once per file). Returns how many were deleted.
     */
    public static int cleanLeftovers(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (!CLEANED.add(abs)) return 0;
        int deleted = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(abs, ".*" + SUFFIX)) {
            for (Path p : ds) {
                Matcher m = TEMP_NAME.matcher(p.getFileName().toString());
                if (!m.matches()) continue;
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.deleteIfExists(p)) deleted++;
            }
        } catch (IOException | RuntimeException e) {
            // nothing to clean, or the folder cannot be listed: the write itself will report a bad folder
        }
        return deleted;
    }

    /**
     * A new empty file {@code PREFIX<random>SUFFIX} in {@code dir}, created without explicit attributes so that
     * its mode follows the user's umask (0644 under 022, 0600 under 077) like any other tool's output.
     * {@link Files#createTempFile} is not used because it forces 0600, and the rename would carry that
     * mode onto every output. {@code createFile} is exclusive (O_EXCL), so two writers never share a name.
     */
    public static Path createBeside(Path dir, String prefix, String suffix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve(prefix + ThreadLocalRandom.current().nextLong(Long.MAX_VALUE) + suffix);
            try {
                return Files.createFile(p);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    private static String prefix(Path abs) {
        return "." + abs.getFileName() + ".";
    }

    /** Writes UTF-8 text atomically. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
