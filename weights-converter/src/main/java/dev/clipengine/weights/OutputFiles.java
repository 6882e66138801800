package dev.clipengine.weights;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Rules shared by the writers that go through a temporary file and a rename ({@link SafetensorsWriter},
 * {@code pull}'s downloader; the segmentation module's {@code AtomicFiles} follows the same rules):
 * <ul>
 * <li>a target that exists and is not a regular file (a device such as {@code /dev/null}, a FIFO, a
 *     directory, a socket, or a link to one) is refused in one line: a rename would replace it with a
 *     regular file, which as root turns {@code /dev/null} into a 7 MB file;</li>
 * <li>temporary names carry the writing process's id ({@code .NAME.PID-RANDOM.SUFFIX}), so the next
 *     write of the same target deletes the leftovers of processes that no longer run (killed during a
 *     write) and never touches those of a writer still at work.</li>
 * </ul>
 */
public final class OutputFiles {

    private OutputFiles() {
    }

    /** Throws when {@code target} exists and is not a regular file (links followed). */
    public static void refuseNonRegular(Path target) throws IOException {
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            String what = Files.isDirectory(target) ? "a directory" : "not a regular file (a device, FIFO or socket)";
            throw new IOException(target + ": exists and is " + what + "; refusing to replace it (write to a regular file)");
        }
    }

    /**
     * A new empty temporary file beside {@code target}, named so that {@link #cleanLeftovers} can recognise it.
     * Created without explicit attributes, so its mode (kept by the rename onto the target) follows the
     * user's umask: {@link Files#createTempFile} would force 0600 on every output. {@code createFile} is
     * exclusive (O_EXCL), so two writers never share a name.
     */
    public static Path tempBeside(Path target, String suffix) throws IOException {
        Path abs = target.toAbsolutePath();
        String prefix = prefix(abs) + ProcessHandle.current().pid() + "-";
        for (int attempt = 0; ; attempt++) {
            Path p = abs.getParent().resolve(prefix + ThreadLocalRandom.current().nextLong(Long.MAX_VALUE) + suffix);
            try {
                return Files.createFile(p);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    /**
     * Deletes the temporary files of earlier writes of {@code target} (same name, {@code suffix}) whose
     * process is gone; returns how many. Failures to delete are ignored (the write itself will say if
     * the folder is unusable).
     */
    public static int cleanLeftovers(Path target, String suffix) {
        Path abs = target.toAbsolutePath();
        String prefix = prefix(abs);
        int deleted = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(abs.getParent(), glob(prefix) + "*" + glob(suffix))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                int dash = n.indexOf('-', prefix.length());
                if (dash < 0) continue;
                long pid;
                try {
                    pid = Long.parseLong(n.substring(prefix.length(), dash));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.deleteIfExists(p)) deleted++;
            }
        } catch (IOException | RuntimeException e) {
            // nothing to clean, or the folder cannot be listed
        }
        return deleted;
    }

    private static String prefix(Path abs) {
        return "." + abs.getFileName() + ".";
    }

    private static String glob(String s) {
        return s.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
    }
}
