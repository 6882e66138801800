package dev.clipengine.weights;

import dev.clipengine.weights.torch.TorchFile;
import dev.clipengine.weights.torch.ZipArchive;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Finding the source of a {@link ClipCheckpoint}: the file a path names (a directory is searched for the
 * {@link ClipCheckpoint#DIRECTORY_FILES}), read as a safetensors file, a sharded index or a PyTorch zip, with its
 * tensors under the names the file uses. It owns what it opened (mapped files, and the arena where name mappings
 * materialise fused or transposed tensors) until the checkpoint made from it takes them over.
 */
final class CheckpointSource {

    private static final long MAX_JSON_BYTES = 64L << 20;

    final Path file;
    final Path dir;
    final List<Path> paths = new ArrayList<>();
    final List<AutoCloseable> resources = new ArrayList<>();
    final Map<String, String> metadata = new LinkedHashMap<>();
    /** {@link TorchFile#kind()} when a PyTorch zip was read, else null. */
    String torchKind;
    boolean canonical, sharded;
    Arena arena;
    private Map<String, Tensor> raw;

    private CheckpointSource(Path file) {
        this.file = file;
        this.dir = file.toAbsolutePath().getParent();
    }

    /** Opens what {@code given} names; on failure everything opened on the way is closed again. */
    static CheckpointSource open(Path given) throws IOException {
        Objects.requireNonNull(given, "path");
        if (!Files.exists(given)) throw new WeightsFormatException(given, "no such file or directory");
        CheckpointSource s = new CheckpointSource(Files.isDirectory(given) ? pickInDirectory(given) : given);
        try {
            s.raw = String.valueOf(s.file.getFileName()).endsWith(".index.json") ? s.readSharded() : s.readSingle();
            return s;
        } catch (IOException | RuntimeException e) {
            s.closeAll();
            throw e;
        }
    }

    /** The tensors under the file's own names, in its order. */
    Map<String, Tensor> tensors() {
        return raw;
    }

    /** Memory owned with the checkpoint, for tensors a name mapping builds (64-byte aligned). */
    MemorySegment allocate(long bytes) {
        if (arena == null) arena = Arena.ofShared();
        return arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
    }

    void closeAll() {
        ClipCheckpoint.closeQuietly(resources);
        if (arena != null && arena.scope().isAlive()) arena.close();
    }

    private static Path pickInDirectory(Path d) throws IOException {
        for (String n : ClipCheckpoint.DIRECTORY_FILES) {
            Path p = d.resolve(n);
            if (Files.isRegularFile(p)) return p;
        }
        TreeSet<String> found = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path p : ds) found.add(String.valueOf(p.getFileName()));
        }
        String list = found.isEmpty() ? "it is empty" : "found: " + String.join(", ", found.stream().limit(10).toList())
                + (found.size() > 10 ? ", ... (" + found.size() + " entries)" : "");
        throw new WeightsFormatException(d, "no " + String.join(", ", ClipCheckpoint.DIRECTORY_FILES) + " in this directory; " + list);
    }

    private Map<String, Tensor> readSingle() throws IOException {
        if (!Files.isRegularFile(file)) throw new WeightsFormatException(file, "not a regular file");
        byte[] head = SafetensorsFile.head(file, 8);
        String name = String.valueOf(file.getFileName()).toLowerCase(java.util.Locale.ROOT);
        boolean pickle = head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5;
        if (ZipArchive.looksLikeZip(head)) {
            TorchFile tf = TorchFile.open(file);
            resources.add(tf);
            paths.add(file);
            torchKind = tf.kind();
            return tf.tensors();
        }
        if (pickle) throw new WeightsFormatException(file, ClipCheckpoint.LEGACY_PICKLE_MESSAGE);
        SafetensorsFile sf;
        try {
            sf = SafetensorsFile.open(file);
        } catch (WeightsFormatException e) {
            if (name.endsWith(".safetensors")) throw e;
            boolean torchName = name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".bin") || name.endsWith(".ckpt");
            String prefix = file + ": ";
            String why = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
            throw new WeightsFormatException(file, "unrecognised weights file: " + why + "; not a PyTorch zip or "
                    + "pickle either" + (torchName ? " despite its name" : "")
                    + "; expected a .safetensors file, a *.safetensors.index.json, a PyTorch .pt/.bin zip or a checkpoint directory");
        }
        resources.add(sf);
        paths.add(file);
        metadata.putAll(sf.metadata());
        String fmt = sf.metadata().get("format");
        if (ClipCheckpoint.CANONICAL_FORMAT.equals(fmt)) {
            canonical = true;
            String v = sf.metadata().get("format_version");
            if (!ClipCheckpoint.CANONICAL_VERSION.equals(v)) {
                throw new WeightsFormatException(file, "canonical format_version " + v + " is not supported (this reader knows "
                        + ClipCheckpoint.CANONICAL_VERSION + ")");
            }
        }
        return sf.tensors();
    }

    private Map<String, Tensor> readSharded() throws IOException {
        sharded = true;
        Object parsed = readJson(file);
        if (!(parsed instanceof Map<?, ?> root) || !(root.get("weight_map") instanceof Map<?, ?> wm)) {
            throw new WeightsFormatException(file, "sharded index has no \"weight_map\" object");
        }
        if (wm.isEmpty()) throw new WeightsFormatException(file, "sharded index has an empty weight_map");
        if (root.get("metadata") instanceof Map<?, ?> md) {
            for (Map.Entry<?, ?> e : md.entrySet()) {
                metadata.put((String) e.getKey(), e.getValue() instanceof String s ? s : Json.write(e.getValue()));
            }
        }
        Path base = dir.normalize();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, Tensor> raw = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : wm.entrySet()) {
            String tensor = (String) e.getKey();
            if (!(e.getValue() instanceof String rel) || rel.isEmpty()) {
                throw new WeightsFormatException(file, "weight_map entry for '" + tensor + "' is not a file name");
            }
            SafetensorsFile sf = shards.get(rel);
            if (sf == null) {
                Path p;
                try {
                    Path r = Path.of(rel);
                    p = base.resolve(r).normalize();
                    if (r.isAbsolute() || !p.startsWith(base) || p.equals(base)) p = null;
                } catch (java.nio.file.InvalidPathException ex) {
                    p = null;
                }
                if (p == null) {
                    throw new WeightsFormatException(file, "shard path '" + rel + "' (tensor '" + tensor
                            + "') leaves the folder of the index");
                }
                if (!Files.isRegularFile(p)) {
                    throw new WeightsFormatException(file, "shard '" + rel + "' (tensor '" + tensor + "') does not exist");
                }
                sf = SafetensorsFile.open(p);
                resources.add(sf);
                paths.add(p);
                shards.put(rel, sf);
            }
            Tensor t = sf.tensors().get(tensor);
            if (t == null) {
                throw new WeightsFormatException(sf.path(), "tensor '" + tensor + "', listed in "
                        + file.getFileName() + ", is not in this shard");
            }
            raw.put(tensor, t);
        }
        return raw;
    }

    static Object readJson(Path p) throws IOException {
        long size = Files.size(p);
        if (size > MAX_JSON_BYTES) throw new WeightsFormatException(p, "JSON file of " + size + " bytes is too large");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(p))).toString();
        } catch (CharacterCodingException e) {
            throw new WeightsFormatException(p, "not valid UTF-8");
        }
        try {
            return Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new WeightsFormatException(p, "not valid JSON: " + e.getMessage());
        }
    }
}
