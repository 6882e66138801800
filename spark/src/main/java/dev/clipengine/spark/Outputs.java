package dev.clipengine.spark;

import dev.clipengine.segmentation.AtomicFiles;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;

/**
 * Every output file appears whole or not at all. Local outputs ({@code file:}) go through the engine's
 * own writers, which write a temporary file beside the target and rename it atomically, exactly as
 * engine.jar's {@code segment} writes them; on other file systems the file is made locally by the same
 * writer, copied to a hidden temporary name beside the target and renamed (atomic on HDFS; on S3 the
 * object appears only once complete).
 */
final class Outputs {

    /** Writes one local file (the engine's writers take a java.nio path). */
    @FunctionalInterface
    interface LocalWriter {
        void write(java.nio.file.Path target) throws IOException;
    }

    private Outputs() {
    }

    static boolean isLocal(FileSystem fs) {
        return "file".equals(fs.getUri().getScheme());
    }

    static void write(Configuration conf, Path target, LocalWriter writer) throws IOException {
        FileSystem fs = target.getFileSystem(conf);
        if (isLocal(fs)) {
            java.nio.file.Path local = java.nio.file.Path.of(fs.makeQualified(target).toUri());
            Files.createDirectories(local.getParent());
            writer.write(local);
            return;
        }
        java.nio.file.Path dir = Files.createTempDirectory("clipengine-out");
        java.nio.file.Path local = dir.resolve(target.getName());
        Path tmp = new Path(target.getParent(), "." + target.getName() + "." + java.util.UUID.randomUUID() + ".tmp");
        try {
            writer.write(local);
            fs.copyFromLocalFile(true, true, new Path(local.toUri()), tmp);
            replace(fs, tmp, target);
        } finally {
            fs.delete(tmp, false);
            Files.deleteIfExists(local);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * Gives a local file that Hadoop wrote (the results table) the mode the user's umask gives any new
     * file, as the engine's own writers do: Hadoop's local file system sets its own default (0644 from
     * {@code fs.permissions.umask-mode}) whatever the process's umask. Java cannot read the umask, so an
     * empty probe created beside the file shows it (named like the writers' temporary files, so that a
     * probe left by a killed process is cleaned up with theirs).
     */
    static void applyUmask(java.nio.file.Path file) throws IOException {
        java.nio.file.Path abs = file.toAbsolutePath();
        java.nio.file.Path probe = AtomicFiles.createBeside(abs.getParent(),
                "." + abs.getFileName() + "." + ProcessHandle.current().pid() + "-", ".tmp");
        try {
            Files.setPosixFilePermissions(abs, Files.getPosixFilePermissions(probe));
        } catch (UnsupportedOperationException notPosix) {
            // no POSIX modes to align
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /** Moves {@code src} over {@code dst} on one file system: atomically for local files and HDFS renames. */
    static void replace(FileSystem fs, Path src, Path dst) throws IOException {
        if (isLocal(fs)) {
            Files.move(java.nio.file.Path.of(fs.makeQualified(src).toUri()), java.nio.file.Path.of(fs.makeQualified(dst).toUri()),
                    StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        // HDFS renames refuse an existing target: the old file goes first (a reader may briefly see none)
        if (fs.exists(dst)) fs.delete(dst, false);
        if (!fs.rename(src, dst)) throw new IOException("cannot rename " + src + " to " + dst);
    }
}
