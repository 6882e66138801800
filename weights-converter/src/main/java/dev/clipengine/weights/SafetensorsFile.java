package dev.clipengine.weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A safetensors file mapped into memory: 8-byte little-endian header length, a JSON header
 * ({@code name -> {dtype, shape, data_offsets}} plus an optional {@code __metadata__} string map),
 * then the raw tensor bytes. Tensors are zero-copy slices of the mapping, valid while this file is
 * open; closing it unmaps everything.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Headers larger than this are refused (real CLIP headers are a few tens of KiB). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private final Path path;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps {@code path} read-only and parses its header; the file stays mapped until {@link #close()}. */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new WeightsFormatException(path, "not a safetensors file (" + size + " bytes, too short)");
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
                throw new WeightsFormatException(path, "not a safetensors file (header length " + headerLen
                        + " does not fit a file of " + size + " bytes)");
            }
            byte[] headerBytes = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            String json = new String(headerBytes, StandardCharsets.UTF_8);
            Object parsed;
            try {
                parsed = Json.parse(json);
            } catch (IllegalArgumentException e) {
                throw new WeightsFormatException(path, "safetensors header is not valid JSON: " + e.getMessage());
            }
            if (!(parsed instanceof Map<?, ?> header)) {
                throw new WeightsFormatException(path, "safetensors header is not a JSON object");
            }
            MemorySegment body = all.asSlice(8 + headerLen);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : header.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    if (e.getValue() instanceof Map<?, ?> md) {
                        for (Map.Entry<?, ?> m : md.entrySet()) metadata.put((String) m.getKey(), String.valueOf(m.getValue()));
                    }
                    continue;
                }
                tensors.put(name, parseEntry(path, name, e.getValue(), body));
            }
            return new SafetensorsFile(path, arena, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Tensor parseEntry(Path path, String name, Object value, MemorySegment body) throws WeightsFormatException {
        if (!(value instanceof Map<?, ?> entry)) throw new WeightsFormatException(path, "tensor '" + name + "': entry is not an object");
        DType dtype = entry.get("dtype") instanceof String s ? DType.parse(s) : null;
        if (dtype == null) throw new WeightsFormatException(path, "tensor '" + name + "': unknown dtype " + entry.get("dtype"));
        if (!(entry.get("shape") instanceof java.util.List<?> shapeList)) {
            throw new WeightsFormatException(path, "tensor '" + name + "': missing shape");
        }
        long[] shape = new long[shapeList.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Number n) || n.longValue() < 0) {
                throw new WeightsFormatException(path, "tensor '" + name + "': bad shape " + shapeList);
            }
            shape[i] = n.longValue();
            try {
                count = Math.multiplyExact(count, shape[i]);
            } catch (ArithmeticException ex) {
                throw new WeightsFormatException(path, "tensor '" + name + "': shape " + shapeList + " overflows");
            }
        }
        if (!(entry.get("data_offsets") instanceof java.util.List<?> offs) || offs.size() != 2
                || !(offs.get(0) instanceof Number a) || !(offs.get(1) instanceof Number b)) {
            throw new WeightsFormatException(path, "tensor '" + name + "': missing data_offsets");
        }
        long begin = a.longValue(), end = b.longValue();
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
                    + shapeList + " of " + dtype + " (expected " + expected + ")");
        }
        return new Tensor(name, dtype, shape, body.asSlice(begin, end - begin));
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

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The named tensor, or a {@link WeightsFormatException} naming the file when it is missing. */
    public Tensor tensor(String name) throws WeightsFormatException {
        Tensor t = tensors.get(name);
        if (t == null) throw new WeightsFormatException(path, "missing tensor '" + name + "'");
        return t;
    }

    @Override
    public void close() {
        arena.close();
    }
}
