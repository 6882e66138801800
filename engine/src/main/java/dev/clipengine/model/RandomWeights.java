package dev.clipengine.model;

import dev.clipengine.image.RgbImage;
import dev.clipengine.weights.ClipCheckpoint;
import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.DType;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * CLIP models with random weights of a real architecture, for benchmarks: speed does not depend on the values, only
 * on the shapes, the dtype and that nothing overflows or turns denormal. The weights are written as a canonical
 * safetensors file (streamed tensor by tensor, so generation needs no more heap than a 1 MiB buffer) and mapped like
 * any other model; {@link #load} deletes the file as soon as it is mapped, so nothing is left behind.
 */
public final class RandomWeights {

    /** OpenAI's ViT-B/16: the shape every figure of the performance issue refers to. */
    public static final ClipConfig VIT_B_16 = new ClipConfig(512, 224, 16, 768, 12, 12, 3072, 77, 49408, 512, 12, 8, 2048);

    private RandomWeights() {
    }

    /** The configuration for an architecture name ({@code vit-b-16}); IllegalArgumentException for others. */
    public static ClipConfig architecture(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "vit-b-16", "vit-b/16" -> VIT_B_16;
            default -> throw new IllegalArgumentException("unknown architecture '" + name + "' (known: vit-b-16)");
        };
    }

    /** A model with random weights of {@code config}, stored as {@code dtype} (F32, F16 or BF16), on the CPU. */
    public static ClipModel load(ClipConfig config, DType dtype, long seed) throws IOException {
        return load(config, dtype, seed, ClipModel.Options.defaults());
    }

    /** As {@link #load(ClipConfig, DType, long)}, loaded with {@code options} (the backend, mainly). */
    public static ClipModel load(ClipConfig config, DType dtype, long seed, ClipModel.Options options) throws IOException {
        Path file = Files.createTempFile("clip-random-", ".safetensors");
        try {
            try {
                write(file, config, dtype, seed);
            } catch (IOException | RuntimeException e) {
                if (options.closeBackend()) options.backend().close();
                throw e;
            }
            return ClipModel.load(file, options);
        } finally {
            Files.deleteIfExists(file); // the mapping stays valid after the name is gone
        }
    }

    /** Writes a canonical file of random weights (same layout as the converter's output). */
    public static void write(Path out, ClipConfig config, DType dtype, long seed) throws IOException {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("dtype must be F32, F16 or BF16, not " + dtype);
        }
        Map<String, long[]> shapes = config.tensorShapes();
        Map<String, Object> header = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", ClipCheckpoint.CANONICAL_FORMAT);
        metadata.put("format_version", ClipCheckpoint.CANONICAL_VERSION);
        metadata.put("config", config.toJson());
        metadata.put("source", "random-" + seed);
        metadata.put("dtype", dtype.name());
        header.put("__metadata__", metadata);
        long cursor = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long size = count(e.getValue()) * dtype.bytes;
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("dtype", dtype.name());
            List<Long> shape = new java.util.ArrayList<>();
            for (long s : e.getValue()) shape.add(s);
            t.put("shape", shape);
            t.put("data_offsets", List.of(cursor, cursor + size));
            header.put(e.getKey(), t);
            cursor += size;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(padded);
            buf.put(json);
            for (int i = json.length; i < padded; i++) buf.put((byte) ' ');
            SplittableRandom rnd = new SplittableRandom(seed);
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                Fill fill = fillFor(e.getKey(), e.getValue());
                long n = count(e.getValue());
                for (long i = 0; i < n; i++) {
                    if (buf.remaining() < 4) flush(ch, buf);
                    float v = fill.constant ? fill.value : (float) ((2 * rnd.nextDouble() - 1) * fill.value);
                    switch (dtype) {
                        case F32 -> buf.putFloat(v);
                        case F16 -> buf.putShort(Float.floatToFloat16(v));
                        default -> buf.putShort(SafetensorsWriter.toBf16(v));
                    }
                }
            }
            flush(ch, buf);
        }
    }

    /** Either a constant or uniform in [-value, value]. */
    private record Fill(boolean constant, float value) {
    }

    /**
     * Roughly the scales of a trained CLIP, so activations stay O(1): layer norms start as identity, matrices are
     * uniform with standard deviation about {@code 1/sqrt(fan_in)}, the logit scale is ln 100 as in OpenAI's release.
     */
    private static Fill fillFor(String name, long[] shape) {
        if (name.equals("logit_scale")) return new Fill(true, (float) Math.log(100));
        if (name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight") || name.contains("ln_pre.weight")
                || name.contains("ln_post.weight") || name.equals("ln_final.weight")) {
            return new Fill(true, 1f);
        }
        if (name.endsWith(".bias")) return new Fill(false, 0.02f);
        if (shape.length < 2) return new Fill(false, 0.05f);
        long fanIn = count(shape) / shape[0];
        if (name.equals("visual.proj") || name.equals("text_projection")) fanIn = shape[0];
        return new Fill(false, (float) (Math.sqrt(3.0 / fanIn)));
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
    }

    /** A smooth picture with a few distinct regions (sky, a middle band, road), so clustering has something to find. */
    public static RgbImage syntheticScene(int s) {
        byte[] rgb = new byte[s * s * 3];
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                int i = (y * s + x) * 3;
                boolean sky = y < s / 3, road = y > 2 * s / 3;
                rgb[i] = (byte) (sky ? 120 : road ? 90 : 40 + (x * 200) / s);
                rgb[i + 1] = (byte) (sky ? 170 : road ? 90 : 140);
                rgb[i + 2] = (byte) (sky ? 230 : road ? 95 : (y * 255) / s);
            }
        }
        return new RgbImage(s, s, rgb);
    }
}
