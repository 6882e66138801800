package dev.clipengine.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 of files, streamed (constant memory), as lowercase hex. */
public final class Sha256 {

    private Sha256() {
    }

    /** SHA-256 of one file's bytes. */
    public static String of(Path file) throws IOException {
        return of(List.of(file));
    }

    /**
     * SHA-256 of the concatenated bytes of {@code files}, in order; for one file this is the file's
     * own checksum (what {@code sha256sum} prints). Used for sharded checkpoints.
     */
    public static String of(List<Path> files) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                while (ch.read(buf.clear()) >= 0) {
                    md.update(buf.flip());
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
