package dev.clipengine.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.weights.torch.HostileFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16's crafted weights files through {@code clip-weights info} / {@code convert} as a user runs
 * them, each in its own JVM with {@code -Xmx512m}: one {@code error:} line, exit 2, under 5 s and
 * 512 MB peak RSS ({@link ChildJvm}); or, where the input is legitimate, the right output.
 */
class HostileInputsCliTest {

    @TempDir
    Path tmp;

    ChildJvm.Run weights(String... args) throws Exception {
        return ChildJvm.run(tmp, WeightsMain.class.getName(), args);
    }

    /** One error line naming the file and containing {@code why}, exit 2, within the time and RSS bounds. */
    ChildJvm.Run refused(Path file, String why, String... command) throws Exception {
        String[] args = command.length == 0 ? new String[] {"info", file.toString()} : command;
        ChildJvm.Run r = weights(args);
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("error: " + file), r.err());
        assertTrue(r.err().contains(why), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertTrue(r.millis() < ChildJvm.MAX_MILLIS, r.millis() + " ms: " + r.err());
        assertTrue(r.peakRssMb() < ChildJvm.MAX_RSS_MB, r.peakRssMb() + " MB: " + r.err());
        return r;
    }

    Path write(String name, byte[] b) throws IOException {
        return Files.write(tmp.resolve(name), b);
    }

    @Test
    void case1StrideZeroViewBombs() throws Exception {
        refused(write("v30.pt", HostileFiles.strideZeroView(1L << 30)), "its strides repeat elements");
        Path v40 = write("v40.pt", HostileFiles.strideZeroView(1L << 40));
        refused(v40, "its strides repeat elements");
        refused(v40, "its strides repeat elements", "convert", v40.toString(), "-o", tmp.resolve("o.safetensors").toString());
    }

    @Test
    void case2PickleAndTorchScriptCpuBombs() throws Exception {
        refused(write("codecs.pt", zipOfPickle(HostileFiles.codecsEncodeBomb(1 << 20, 100_000))), "builds or copies more than");
        refused(write("od.pt", zipOfPickle(HostileFiles.orderedDictBomb(500_000, 10_000))), "builds or copies more than");
        refused(write("dag.pt", HostileFiles.sharedModuleGraph(40, 4 << 20)), "visits for its");
    }

    @Test
    void case3MemoryBombs() throws Exception {
        refused(write("zip64.pt", HostileFiles.zip64Declared(8L << 30)), "more than deflate can produce");
        // a module DAG whose names grow with depth: the memory variant of the shared graph
        refused(write("dag-mem.pt", HostileFiles.sharedModuleGraph(60, 100)), "visits for its");
    }

    @Test
    void case8GarbageIsRefused() throws Exception {
        refused(write("junk.pt", HostileFiles.junkAfterEnd("GARBAGE")), "follow the end-of-central-directory record");
        String header = "{\"w\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Path lower = TestFiles.raw(tmp.resolve("lower.safetensors"), header, TestFiles.floats(2));
        refused(lower, "unknown dtype");
    }

    @Test
    void case8NonFiniteWeightsAreRefused() throws Exception {
        Path nan = withValue(Fixtures.openClip(), "visual.proj", Float.NaN);
        refused(nan, "tensor 'visual.proj' holds NaN at element 0", "info", nan.toString(), "--vision-heads", "4", "--text-heads", "2");
        Path inf = withValue(Fixtures.openClip(), "token_embedding.weight", Float.NEGATIVE_INFINITY);
        refused(inf, "holds -Infinity", "info", inf.toString(), "--vision-heads", "4", "--text-heads", "2");
    }

    @Test
    void theFirstNonFiniteTensorInCheckpointOrderIsNamedThoughTheScanIsParallel() throws Exception {
        Path once = withValue(Fixtures.openClip(), "visual.proj", Float.NaN);
        Path twice = withValue(once, "token_embedding.weight", Float.POSITIVE_INFINITY);
        HeadCounts heads = new HeadCounts(4, 2);
        java.util.List<String> order;
        try (ClipCheckpoint ok = ClipCheckpoint.open(Fixtures.openClip(), heads)) {
            order = java.util.List.copyOf(ok.config().tensorShapes().keySet());
        }
        String first = order.indexOf("visual.proj") < order.indexOf("token_embedding.weight") ? "visual.proj" : "token_embedding.weight";
        for (int i = 0; i < 5; i++) {
            WeightsFormatException e = org.junit.jupiter.api.Assertions.assertThrows(WeightsFormatException.class,
                    () -> ClipCheckpoint.open(twice, heads).close());
            assertTrue(e.getMessage().contains("tensor '" + first + "' holds"), e.getMessage());
        }
    }

    @Test
    void case9InfoEscapesWhatItPrints() throws Exception {
        String header = "{\"__metadata__\":{\"k\\u001b[2J\":\"v\\nforged: line\"},"
                + "\"w\\u009b31m\\nfile:         /etc/passwd\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Path f = TestFiles.raw(tmp.resolve("esc.safetensors"), header, TestFiles.floats(2));
        ChildJvm.Run r = weights("info", f.toString());
        assertEquals(0, r.code(), r.toString());
        assertFalse(r.out().chars().anyMatch(c -> c == 0x1b || c == 0x9b), r.out());
        assertEquals(1, r.out().lines().filter(l -> l.startsWith("file:")).count(), r.out()); // no forged line
        assertTrue(r.out().contains("k\\u001b[2J = v\\nforged: line"), r.out());
        assertTrue(r.out().contains("w\\u009b31m\\nfile:         /etc/passwd F32 [2]"), r.out());
    }

    @Test
    void case9PyTorchZipThatIsNotAClipIsDescribedAsOne() throws Exception {
        Path f = write("layer.pt", HostileFiles.notAClip());
        ChildJvm.Run r = weights("info", f.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("format:       PyTorch torch.save zip (not a CLIP checkpoint)"), r.out());
        assertTrue(r.out().contains("layer.weight F32 [2, 2]"), r.out());
        assertFalse(r.out().contains("safetensors"), r.out());
    }

    /** A copy of a safetensors file with element 0 of {@code tensor} set to {@code value}. */
    Path withValue(Path src, String tensor, float value) throws IOException {
        byte[] b = Files.readAllBytes(src);
        long len = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Map<?, ?> header = (Map<?, ?>) Json.parse(new String(b, 8, (int) len, StandardCharsets.UTF_8));
        long begin = ((Number) ((java.util.List<?>) ((Map<?, ?>) header.get(tensor)).get("data_offsets")).get(0)).longValue();
        String dtype = (String) ((Map<?, ?>) header.get(tensor)).get("dtype");
        ByteBuffer at = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int pos = (int) (8 + len + begin);
        switch (dtype) {
            case "F32" -> at.putFloat(pos, value);
            case "F16" -> at.putShort(pos, Float.floatToFloat16(value));
            default -> at.putShort(pos, (short) (Float.floatToRawIntBits(value) >>> 16));
        }
        return Files.write(tmp.resolve(tensor + "-" + value + ".safetensors"), b);
    }

    /** {@code pkl} as the only entry, {@code a/data.pkl}, of a stored zip. */
    static byte[] zipOfPickle(byte[] pkl) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] name = "a/data.pkl".getBytes(StandardCharsets.US_ASCII);
        CRC32 c = new CRC32();
        c.update(pkl);
        ByteBuffer local = ByteBuffer.allocate(30).order(ByteOrder.LITTLE_ENDIAN);
        local.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 0).putInt(0)
                .putInt((int) c.getValue()).putInt(pkl.length).putInt(pkl.length).putShort((short) name.length).putShort((short) 0);
        out.writeBytes(local.array());
        out.writeBytes(name);
        out.writeBytes(pkl);
        int cdOffset = out.size();
        ByteBuffer cd = ByteBuffer.allocate(46).order(ByteOrder.LITTLE_ENDIAN);
        cd.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0).putShort((short) 0).putInt(0)
                .putInt((int) c.getValue()).putInt(pkl.length).putInt(pkl.length).putShort((short) name.length)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(0);
        out.writeBytes(cd.array());
        out.writeBytes(name);
        ByteBuffer end = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) 1).putShort((short) 1)
                .putInt(46 + name.length).putInt(cdOffset).putShort((short) 0);
        out.writeBytes(end.array());
        return out.toByteArray();
    }
}
