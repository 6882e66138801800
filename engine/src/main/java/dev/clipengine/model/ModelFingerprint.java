package dev.clipengine.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A cheap identity of a weights file, for keying what is derived from it (the cached class text features, see
 * docs/command-line.md "Caches"). A full SHA-256 of a 300 MB file costs about a second, as much as the text features
 * it would save, so this hashes instead (SHA-256 over):
 * <ul>
 * <li>each file's size and modification time: a file rewritten in place gets a new identity even where the samples
 *     below miss the change;</li>
 * <li>its first {@value #HEAD_BYTES} bytes: a safetensors header with every tensor's name, dtype, shape and offset,
 *     and for a converted or pulled canonical file the source checkpoint's SHA-256 that {@code convert} records in
 *     the metadata (so a pulled model's identity rests on its verified download);</li>
 * <li>{@value #SAMPLES} blocks of {@value #SAMPLE_BYTES} bytes spread evenly over the rest, and its last block.</li>
 * </ul>
 * About 1.5 MiB read per file whatever its size. A copy of a file with another modification time gets another
 * identity: a cache miss, never a wrong hit.
 */
public final class ModelFingerprint {

    static final int HEAD_BYTES = 1 << 20;
    static final int SAMPLES = 16;
    static final int SAMPLE_BYTES = 32 << 10;

    private ModelFingerprint() {
    }

    /** Lowercase hex SHA-256 over the sampled identity of {@code files}, in order. */
    public static String of(List<Path> files) throws IOException {
        MessageDigest md = sha256();
        ByteBuffer buf = ByteBuffer.allocate(Math.max(HEAD_BYTES, SAMPLE_BYTES));
        for (Path f : files) {
            BasicFileAttributes attrs = Files.readAttributes(f, BasicFileAttributes.class);
            long size = attrs.size();
            md.update(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(size).putLong(attrs.lastModifiedTime().toMillis()).flip());
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                update(md, ch, 0, Math.min(size, HEAD_BYTES), buf);
                long rest = size - HEAD_BYTES;
                if (rest > 0) {
                    for (int i = 0; i < SAMPLES; i++) {
                        long at = HEAD_BYTES + rest * i / SAMPLES;
                        update(md, ch, at, Math.min(SAMPLE_BYTES, size - at), buf);
                    }
                    long last = Math.max(HEAD_BYTES, size - SAMPLE_BYTES);
                    update(md, ch, last, size - last, buf);
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void update(MessageDigest md, FileChannel ch, long at, long length, ByteBuffer buf) throws IOException {
        buf.clear().limit(Math.toIntExact(length));
        while (buf.hasRemaining()) {
            if (ch.read(buf, at + buf.position()) < 0) throw new IOException("file shrank while it was read");
        }
        md.update(buf.flip());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
