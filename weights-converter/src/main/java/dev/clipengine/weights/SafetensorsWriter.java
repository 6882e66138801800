package dev.clipengine.weights;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files, streaming tensor by tensor through a 1 MiB buffer (a model of any size
 * needs no more heap than that), optionally converting float tensors to another float dtype.
 *
 * <p>Layout: the JSON header is padded with spaces so that the data section starts at a multiple of
 * {@code max(8, alignment)} bytes; each tensor starts at a multiple of {@code alignment} from the
 * start of the data section, zero bytes filling the gaps. With {@code alignment = 1} the tensors are
 * contiguous, the layout of the reference implementation.
 *
 * <p>The file is written to a temporary file in the output's folder and moved into place
 * atomically; on any failure the temporary file is deleted, so {@code out} is either the complete
 * new file or untouched. A target that is not a regular file is refused, and the temporary files of
 * writers killed before they could delete them are removed ({@link OutputFiles}).
 */
public final class SafetensorsWriter {

    private static final int CHUNK = 1 << 20;

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code tensors} (in iteration order, under their {@link Tensor#name()}s) to {@code out}.
     *
     * @param metadata  the {@code __metadata__} string map, or null/empty for none
     * @param target    dtype to convert float tensors to, or null to copy every tensor's bytes as they are
     * @param alignment byte alignment of each tensor within the data section (1, 8, 64, ...; a power of two)
     * @return the size of the written file in bytes
     */
    public static long write(Path out, Map<String, String> metadata, Collection<Tensor> tensors, DType target,
                             int alignment) throws IOException {
        if (alignment < 1 || Integer.bitCount(alignment) != 1) throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        if (target != null && target != DType.F32 && target != DType.F16 && target != DType.BF16) {
            throw new IllegalArgumentException("target dtype must be F32, F16 or BF16, not " + target);
        }
        // header
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        List<Tensor> list = new ArrayList<>(tensors);
        List<DType> types = new ArrayList<>();
        long cursor = 0;
        for (Tensor t : list) {
            DType d = target == null ? t.dtype() : target;
            if (d != t.dtype() && !t.dtype().isFloat()) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' of " + t.dtype() + " cannot be converted to " + d);
            }
            if (header.containsKey(t.name())) throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
            types.add(d);
            cursor = align(cursor, alignment);
            long size = Math.multiplyExact(t.elementCount(), (long) d.bytes);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", d.name());
            List<Long> shape = new ArrayList<>();
            for (long s : t.shape()) shape.add(s);
            e.put("shape", shape);
            e.put("data_offsets", List.of(cursor, cursor + size));
            header.put(t.name(), e);
            cursor += size;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int dataAlign = Math.max(8, alignment);
        long headerLen = align(8 + json.length, dataAlign) - 8;

        Path abs = out.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) throw new IOException(abs + ": output folder does not exist");
        OutputFiles.refuseNonRegular(abs);
        OutputFiles.cleanLeftovers(abs, ".part");
        Path tmp = OutputFiles.tempBeside(abs, ".part");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer hb = ByteBuffer.allocate(Math.toIntExact(8 + headerLen)).order(ByteOrder.LITTLE_ENDIAN);
                hb.putLong(headerLen);
                hb.put(json);
                while (hb.hasRemaining()) hb.put((byte) ' ');
                flush(ch, hb);
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                MemorySegment whole = MemorySegment.ofBuffer(buf);
                long pos = 0;
                for (int k = 0; k < list.size(); k++) {
                    Tensor t = list.get(k);
                    long start = align(pos, alignment);
                    while (pos < start) {
                        if (!buf.hasRemaining()) flush(ch, buf);
                        buf.put((byte) 0);
                        pos++;
                    }
                    pos += writeTensor(ch, buf, whole, t, types.get(k));
                }
                flush(ch, buf);
                ch.force(false);
            }
            // no chmod: the temporary file was created with the user's umask (OutputFiles.tempBeside)
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            return Files.size(abs);
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    static long align(long v, long a) {
        return (v + a - 1) / a * a;
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
    }

    private static long writeTensor(FileChannel ch, ByteBuffer buf, MemorySegment whole, Tensor t, DType d)
            throws IOException {
        MemorySegment src = t.data();
        if (d == t.dtype()) { // bytes as they are (bit-identical, NaN payloads included)
            long size = src.byteSize();
            for (long off = 0; off < size; ) {
                // buf may hold padding bytes: append after them
                int room = buf.remaining();
                if (room == 0) {
                    flush(ch, buf);
                    continue;
                }
                int n = (int) Math.min(room, size - off);
                MemorySegment.copy(src, off, whole, buf.position(), n);
                buf.position(buf.position() + n);
                off += n;
            }
            return size;
        }
        long n = t.elementCount();
        for (long i = 0; i < n; i++) {
            if (buf.remaining() < d.bytes) flush(ch, buf);
            float f = t.getFloat(i);
            switch (d) {
                case F32 -> buf.putFloat(f);
                case F16 -> buf.putShort(Float.floatToFloat16(f));
                case BF16 -> buf.putShort(toBf16(f));
                default -> throw new IllegalStateException(d.name());
            }
        }
        return n * d.bytes;
    }

    /**
     * bfloat16 bits of {@code f}, rounded to nearest even on the float's bits; NaN stays NaN (sign
     * kept, made quiet), values past the bf16 range become infinities.
     */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** The float a bfloat16 bit pattern stands for (exact). */
    public static float fromBf16(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
