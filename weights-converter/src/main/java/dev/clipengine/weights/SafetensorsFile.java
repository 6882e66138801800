package dev.clipengine.weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file mapped into memory: 8-byte little-endian header length, a JSON header
 * ({@code name -> {dtype, shape, data_offsets}} plus an optional {@code __metadata__} string map),
 * then the raw tensor bytes. Tensors are zero-copy slices of the mapping, valid while this file is
 * open; closing it unmaps everything.
 *
 * <p>Opening checks everything a hostile or damaged file could get wrong, and reports each problem
 * as a one-line {@link WeightsFormatException} naming the file: header length against the file
 * size, strict UTF-8 and JSON (duplicate keys refused), entry structure, known dtype, rank at most
 * {@value #MAX_RANK}, integral non-negative dimensions, at most {@value #MAX_TENSORS} tensors,
 * offsets inside the data section, byte count equal to shape times element size, and no two
 * tensors sharing bytes. Bytes of the data section that no tensor covers (alignment padding) are
 * allowed.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Headers larger than this are refused (real CLIP headers are a few tens of KiB). */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    /** More tensors than this is not a model anyone holds. */
    public static final int MAX_TENSORS = 1_000_000;
    /** Highest tensor rank accepted. */
    public static final int MAX_RANK = 8;

    private final Path path;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final long headerBytes;

    private SafetensorsFile(Path path, Arena arena, Map<String, Tensor> tensors, Map<String, String> metadata,
                            long headerBytes) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
        this.headerBytes = headerBytes;
    }

    /** Maps {@code path} read-only and parses its header; the file stays mapped until {@link #close()}. */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new WeightsFormatException(path, "not a safetensors file (" + size + " bytes, too short)");
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
                throw new WeightsFormatException(path, "not a safetensors file (header length "
                        + Long.toUnsignedString(headerLen) + " does not fit a file of " + size + " bytes"
                        + (headerLen > MAX_HEADER_BYTES ? " or the " + MAX_HEADER_BYTES + "-byte limit" : "") + ")");
            }
            String json;
            try {
                json = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(all.asSlice(8, headerLen).asByteBuffer())
                        .toString();
            } catch (CharacterCodingException e) {
                throw new WeightsFormatException(path, "safetensors header is not valid UTF-8");
            }
            Object parsed;
            try {
                parsed = Json.parse(json);
            } catch (IllegalArgumentException e) {
                throw new WeightsFormatException(path, "safetensors header is not valid JSON: " + e.getMessage());
            }
            if (!(parsed instanceof Map<?, ?> header)) {
                throw new WeightsFormatException(path, "safetensors header is not a JSON object");
            }
            if (header.size() > MAX_TENSORS + 1) {
                throw new WeightsFormatException(path, "safetensors header lists " + header.size()
                        + " entries (more than " + MAX_TENSORS + " tensors)");
            }
            MemorySegment body = all.asSlice(8 + headerLen);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            List<long[]> ranges = new ArrayList<>();
            List<String> rangeNames = new ArrayList<>();
            for (Map.Entry<?, ?> e : header.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    if (!(e.getValue() instanceof Map<?, ?> md)) {
                        throw new WeightsFormatException(path, "__metadata__ is not a JSON object");
                    }
                    for (Map.Entry<?, ?> m : md.entrySet()) {
                        if (!(m.getValue() instanceof String v)) {
                            throw new WeightsFormatException(path, "__metadata__ value of '" + m.getKey() + "' is not a string");
                        }
                        metadata.put((String) m.getKey(), v);
                    }
                    continue;
                }
                Tensor t = parseEntry(path, name, e.getValue(), body, ranges);
                tensors.put(name, t);
                rangeNames.add(name);
            }
            checkOverlaps(path, ranges, rangeNames);
            return new SafetensorsFile(path, arena, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata), headerLen);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Tensor parseEntry(Path path, String name, Object value, MemorySegment body, List<long[]> ranges)
            throws WeightsFormatException {
        if (!(value instanceof Map<?, ?> entry)) throw new WeightsFormatException(path, "tensor '" + name + "': entry is not an object");
        DType dtype = entry.get("dtype") instanceof String s ? DType.parse(s) : null;
        if (dtype == null) {
            Object d = entry.get("dtype");
            throw new WeightsFormatException(path, "tensor '" + name + "': unknown dtype "
                    + (d instanceof String ? "'" + d + "'" : Json.write(d)));
        }
        if (!(entry.get("shape") instanceof List<?> shapeList)) {
            throw new WeightsFormatException(path, "tensor '" + name + "': missing shape");
        }
        if (shapeList.size() > MAX_RANK) {
            throw new WeightsFormatException(path, "tensor '" + name + "': rank " + shapeList.size()
                    + " is more than " + MAX_RANK);
        }
        long[] shape = new long[shapeList.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long n) || n < 0) {
                throw new WeightsFormatException(path, "tensor '" + name + "': bad shape " + Json.write(shapeList)
                        + " (dimensions must be non-negative integers)");
            }
            shape[i] = n;
            try {
                count = Math.multiplyExact(count, shape[i]);
            } catch (ArithmeticException ex) {
                throw new WeightsFormatException(path, "tensor '" + name + "': shape " + Json.write(shapeList) + " overflows");
            }
        }
        if (!(entry.get("data_offsets") instanceof List<?> offs) || offs.size() != 2
                || !(offs.get(0) instanceof Long a) || !(offs.get(1) instanceof Long b)) {
            throw new WeightsFormatException(path, "tensor '" + name + "': missing or malformed data_offsets "
                    + "(expected [begin, end] integers)");
        }
        long begin = a, end = b;
        if (begin < 0 || end < begin || end > body.byteSize()) {
            throw new WeightsFormatException(path, "tensor '" + name + "': data_offsets [" + begin + ", " + end
                    + "] outside the " + body.byteSize() + "-byte data section (truncated file?)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(count, dtype.bytes);
        } catch (ArithmeticException ex) {
            throw new WeightsFormatException(path, "tensor '" + name + "': size overflows");
        }
        if (end - begin != expected) {
            throw new WeightsFormatException(path, "tensor '" + name + "': " + (end - begin) + " bytes for shape "
                    + Json.write(shapeList) + " of " + dtype + " (expected " + expected + ")");
        }
        ranges.add(new long[] {begin, end, ranges.size()});
        return new Tensor(name, dtype, shape, body.asSlice(begin, end - begin));
    }

    private static void checkOverlaps(Path path, List<long[]> ranges, List<String> names) throws WeightsFormatException {
        List<long[]> nonEmpty = new ArrayList<>();
        for (long[] r : ranges) if (r[1] > r[0]) nonEmpty.add(r);
        nonEmpty.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
        for (int i = 1; i < nonEmpty.size(); i++) {
            long[] prev = nonEmpty.get(i - 1), cur = nonEmpty.get(i);
            if (cur[0] < prev[1]) {
                throw new WeightsFormatException(path, "tensors '" + names.get((int) prev[2]) + "' [" + prev[0] + ", "
                        + prev[1] + "] and '" + names.get((int) cur[2]) + "' [" + cur[0] + ", " + cur[1]
                        + "] overlap in the data section");
            }
        }
    }

    public Path path() {
        return path;
    }

    /** All tensors in header order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} map (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Length of the JSON header in bytes (the data section starts at {@code 8 + headerBytes()}). */
    public long headerBytes() {
        return headerBytes;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The named tensor, or a {@link WeightsFormatException} naming the file when it is missing. */
    public Tensor tensor(String name) throws WeightsFormatException {
        Tensor t = tensors.get(name);
        if (t == null) throw new WeightsFormatException(path, "missing tensor '" + name + "'");
        return t;
    }

    /** Unmaps the file; tensors of this file must not be used afterwards. Closing twice is harmless. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    /** Reads up to {@code n} leading bytes of a file (for format sniffing). */
    static byte[] head(Path path, int n) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(n, ch.size()));
            while (buf.hasRemaining() && ch.read(buf) >= 0) { /* fill */ }
            return java.util.Arrays.copyOf(buf.array(), buf.position());
        }
    }
}
