package dev.clipengine.weights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the engine's canonical weights file: safetensors with OpenAI tensor names (in
 * {@link ClipConfig#tensorShapes()} order) and this {@code __metadata__}:
 * <pre>
 * format          "clip-engine-canonical"
 * format_version  "1"
 * config          the {@link ClipConfig} as JSON (heads included)
 * source          file name of what was converted
 * source_sha256   its SHA-256 (hex), when known
 * dtype           "F32", "F16" or "BF16"
 * </pre>
 * Tensors are contiguous (no gaps): the reference safetensors library refuses files with gaps
 * between tensors, and the canonical file must open in Python tools too. The data section starts at
 * a multiple of 8 bytes; the kernels read weights with unaligned loads, so nothing needs more.
 * F16 rounds to nearest even ({@link Float#floatToFloat16}); BF16 rounds to nearest even on the
 * float bits, keeping NaN ({@link SafetensorsWriter#toBf16}); a tensor already in the target dtype is
 * copied bit for bit. The write streams tensor by tensor and is atomic (temporary file, then move).
 */
public final class CanonicalWriter {

    /** Tensor alignment within the data section: 1 = contiguous, the layout every safetensors reader accepts. */
    public static final int ALIGNMENT = 1;

    private CanonicalWriter() {
    }

    /**
     * Writes {@code src} to {@code out} in {@code target} (F32, F16 or BF16).
     *
     * @param sourceSha256 hex SHA-256 of the source ({@link Sha256#of(java.util.List)} of
     *                     {@link ClipCheckpoint#files()}), or null when unknown (then not recorded)
     * @return the size of the written file in bytes
     */
    public static long write(ClipCheckpoint src, Path out, DType target, String sourceSha256) throws IOException {
        if (target != DType.F32 && target != DType.F16 && target != DType.BF16) {
            throw new IllegalArgumentException("canonical dtype must be F32, F16 or BF16, not " + target);
        }
        Map<String, String> md = metadata(src, target, sourceSha256);
        return SafetensorsWriter.write(out, md, src.tensors().values(), target, ALIGNMENT);
    }

    static Map<String, String> metadata(ClipCheckpoint src, DType target, String sourceSha256) {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", ClipCheckpoint.CANONICAL_FORMAT);
        md.put("format_version", ClipCheckpoint.CANONICAL_VERSION);
        md.put("config", src.config().toJson());
        md.put("source", String.valueOf(src.source().getFileName()));
        if (sourceSha256 != null) md.put("source_sha256", sourceSha256);
        md.put("dtype", target.name());
        return md;
    }
}
