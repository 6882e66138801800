package dev.clipengine.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds raw (possibly hostile) safetensors files byte by byte. */
final class TestFiles {

    private TestFiles() {
    }

    /** 8-byte length of {@code header}, the header, then {@code data}. */
    static Path raw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw(file, h.length, h, data);
    }

    /** A declared header length (which may lie), then {@code header} bytes, then {@code data}. */
    static Path raw(Path file, long declaredLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header).put(data);
        Files.write(file, b.array());
        return file;
    }

    /** {@code n} little-endian floats 0, 1, 2, ... as bytes. */
    static byte[] floats(int n) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putFloat(i);
        return b.array();
    }
}
