package dev.clipengine.weights.pull;

import dev.clipengine.weights.OutputFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * The SHA-256 of a downloaded file that has no published checksum, kept beside it as
 * {@code <file>.sha256} (one line of hex, as {@code sha256sum} writes it). A size is not a checksum:
 * without this a file cached once unverified would be reused forever, damaged or not. The record is
 * written after a verified or first download and checked every time the cached file is used.
 */
final class ChecksumRecord {

    private ChecksumRecord() {
    }

    static Path of(Path file) {
        return file.resolveSibling(file.getFileName() + ".sha256");
    }

    /** The recorded SHA-256, or null when there is no (well-formed) record. */
    static String read(Path record) throws IOException {
        if (!Files.isRegularFile(record)) return null;
        String s = Files.readString(record, StandardCharsets.US_ASCII).strip();
        int space = s.indexOf(' ');
        String hex = (space < 0 ? s : s.substring(0, space)).toLowerCase(Locale.ROOT);
        return hex.matches("[0-9a-f]{64}") ? hex : null;
    }

    static void write(Path record, String sha256) throws IOException {
        OutputFiles.refuseNonRegular(record);
        Path tmp = OutputFiles.tempBeside(record, ".tmp");
        try {
            Files.writeString(tmp, sha256 + "  " + record.getFileName().toString().replaceFirst("\\.sha256$", "") + "\n",
                    StandardCharsets.US_ASCII);
            Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
