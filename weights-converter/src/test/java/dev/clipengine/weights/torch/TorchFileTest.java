package dev.clipengine.weights.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.weights.DType;
import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TorchFile} on archives built byte by byte: views (offsets, strides, dtypes) against values
 * computed by hand, and damaged or hostile files, each refused with a one-line message naming the
 * file, fast, and without allocating what the file declares.
 */
class TorchFileTest {

    @TempDir
    Path tmp;

    /** float32 little-endian bytes of {@code v}. */
    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    static byte[] f16(float... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putShort(Float.floatToFloat16(x));
        return b.array();
    }

    /** An OrderedDict of the given (name, tensor-pickle-writer) items, as torch.save writes a state dict. */
    static byte[] stateDict(String[] names, java.util.function.Consumer<PickleBuilder>[] tensors) {
        PickleBuilder p = new PickleBuilder().proto(2).global("collections", "OrderedDict").op(')').reduce().mark();
        for (int i = 0; i < names.length; i++) {
            p.str(names[i]);
            tensors[i].accept(p);
        }
        return p.op('u').stop().build();
    }

    @SuppressWarnings("unchecked")
    Path viewsArchive(boolean deflateStorage) throws IOException {
        byte[] pkl = stateDict(new String[] {"t", "o", "h", "s", "e"}, new java.util.function.Consumer[] {
            // a transposed view [3,2] of the 2x3 row-major storage 0..5: t[i][j] = s[j*3 + i]
            (java.util.function.Consumer<PickleBuilder>) p -> p.tensor("FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 3}),
            // an offset, contiguous view: elements 2..5
            (java.util.function.Consumer<PickleBuilder>) p -> p.tensor("FloatStorage", "0", 6, 2, new long[] {2, 2}, new long[] {2, 1}),
            (java.util.function.Consumer<PickleBuilder>) p -> p.tensor("HalfStorage", "1", 3, 0, new long[] {3}, new long[] {1}),
            // a scalar
            (java.util.function.Consumer<PickleBuilder>) p -> p.tensor("HalfStorage", "1", 3, 2, new long[] {}, new long[] {}),
            // an empty tensor
            (java.util.function.Consumer<PickleBuilder>) p -> p.tensor("FloatStorage", "0", 6, 6, new long[] {0, 4}, new long[] {4, 1})});
        ZipBuilder z = new ZipBuilder();
        z.stored("archive/data.pkl", pkl);
        if (deflateStorage) z.deflated("archive/data/0", f32(0, 1, 2, 3, 4, 5));
        else z.stored("archive/data/0", f32(0, 1, 2, 3, 4, 5));
        z.stored("archive/data/1", f16(0.5f, -2f, 65504f));
        z.stored("archive/version", "3\n".getBytes());
        return z.write(tmp.resolve(deflateStorage ? "deflated.pt" : "views.pt"));
    }

    @Test
    void viewsWithOffsetsStridesAndDtypes() throws IOException {
        for (boolean deflate : new boolean[] {false, true}) {
            try (TorchFile f = TorchFile.open(viewsArchive(deflate))) {
                Map<String, Tensor> t = f.tensors();
                assertEquals(TorchFile.KIND_TORCH_SAVE, f.kind());
                assertEquals(java.util.List.of("t", "o", "h", "s", "e"), t.keySet().stream().toList());
                assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.get("t").toFloatArray());
                assertFalse(t.get("t").data().isMapped(), "a strided view is gathered");
                assertArrayEquals(new float[] {2, 3, 4, 5}, t.get("o").toFloatArray());
                assertEquals(!deflate, t.get("o").data().isMapped(), "a contiguous stored view is zero-copy");
                assertEquals(DType.F16, t.get("h").dtype());
                assertArrayEquals(new float[] {0.5f, -2f, 65504f}, t.get("h").toFloatArray()); // exact widening
                assertArrayEquals(new long[0], t.get("s").shape());
                assertArrayEquals(new float[] {65504f}, t.get("s").toFloatArray());
                assertArrayEquals(new long[] {0, 4}, t.get("e").shape());
                assertEquals(0, t.get("e").data().byteSize());
            }
        }
    }

    @Test
    void parametersAndTrainingCheckpointsAreUnwrapped() throws IOException {
        // {'epoch': 3, 'state_dict': OrderedDict(w=Parameter(tensor))}, as a training loop saves
        PickleBuilder p = new PickleBuilder().proto(2).op('}').mark().str("epoch").integer(3).str("state_dict")
                .global("collections", "OrderedDict").op(')').reduce().str("w")
                .global("torch._utils", "_rebuild_parameter").mark();
        p.tensor("BFloat16Storage", "0", 2, 0, new long[] {2}, new long[] {1});
        p.op(0x88).global("collections", "OrderedDict").op(')').reduce().tuple().reduce().op('s').op('u').stop();
        ByteBuffer bf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        bf.putShort((short) (Float.floatToRawIntBits(1.5f) >>> 16)).putShort((short) (Float.floatToRawIntBits(-3f) >>> 16));
        ZipBuilder z = new ZipBuilder();
        z.stored("ckpt/data.pkl", p.build());
        z.stored("ckpt/data/0", bf.array());
        try (TorchFile f = TorchFile.open(z.write(tmp.resolve("ckpt.pt")))) {
            assertEquals(DType.BF16, f.tensors().get("w").dtype());
            assertArrayEquals(new float[] {1.5f, -3f}, f.tensors().get("w").toFloatArray());
        }
    }

    // ------------------------------------------------------------------ refused

    /** Opens {@code file}, expects a one-line error naming it, and returns the message. */
    static String refused(Path file) {
        return refused(file, TorchLimits.DEFAULT);
    }

    static String refused(Path file, TorchLimits limits) {
        long[] allocated = new long[1];
        long t0 = System.nanoTime();
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> {
            long before = threadAllocated();
            try {
                TorchFile.open(file, limits).close();
            } finally {
                allocated[0] = threadAllocated() - before;
            }
        });
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String m = e.getMessage();
        assertTrue(m.startsWith(file + ": "), m);
        assertFalse(m.contains("\n"), m);
        // memory stays bounded: no heap allocation anywhere near what a hostile file declares
        assertTrue(allocated[0] < (32L << 20), "allocated " + allocated[0] + " bytes for " + m);
        assertTrue(ms < 5000, "took " + ms + " ms: " + m);
        return m;
    }

    static long threadAllocated() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    Path archive(String name, byte[] pkl, byte[]... storages) throws IOException {
        ZipBuilder z = new ZipBuilder();
        z.stored("a/data.pkl", pkl);
        for (int i = 0; i < storages.length; i++) z.stored("a/data/" + i, storages[i]);
        return z.write(tmp.resolve(name));
    }

    @Test
    void maliciousPicklesInAnArchive() throws IOException {
        byte[] osSystem = new PickleBuilder().proto(2).global("os", "system").mark().str("touch /tmp/pwned").tuple().reduce().stop().build();
        String m = refused(archive("evil.pt", osSystem));
        assertTrue(m.contains("a/data.pkl at byte 2: global 'os.system' is not allowed"), m);
        byte[] eval = new PickleBuilder().proto(2).global("builtins", "eval").mark().str("1").tuple().reduce().stop().build();
        assertTrue(refused(archive("eval.pt", eval)).contains("'builtins.eval' is not allowed"));
        assertTrue(refused(archive("list.pt", new PickleBuilder().proto(2).op(']').stop().build())).contains("holds a list"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void storagesThatDoNotMatchTheirDeclaration() throws IOException {
        byte[] pkl = stateDict(new String[] {"w"}, new java.util.function.Consumer[] {
            (java.util.function.Consumer<PickleBuilder>) p -> p.tensor("FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1})});
        assertTrue(refused(archive("short.pt", pkl, f32(1, 2, 3))).contains("holds 12 bytes but the pickle declares 6 F32 elements (24 bytes)"));
        assertTrue(refused(archive("missing.pt", pkl)).contains("storage '0' has no entry a/data/0"));
        // a huge declared storage costs nothing: it is compared with the entry, never allocated
        byte[] huge = stateDict(new String[] {"w"}, new java.util.function.Consumer[] {
            (java.util.function.Consumer<PickleBuilder>) p -> p.tensor("FloatStorage", "0", 1L << 40, 0, new long[] {1L << 40}, new long[] {1})});
        assertTrue(refused(archive("huge.pt", huge, f32(1))).contains("declares 1099511627776 F32 elements"));
    }

    @Test
    void bitFlipsAreCaughtByTheCrc() throws IOException {
        Path good = viewsArchive(false);
        byte[] b = Files.readAllBytes(good);
        int at = indexOf(b, f16(0.5f, -2f, 65504f));
        b[at + 1] ^= 0x10;
        Path flipped = Files.write(tmp.resolve("flipped.pt"), b);
        assertTrue(refused(flipped).contains("entry 'archive/data/1' is damaged (CRC-32"), refused(flipped));
        byte[] c = Files.readAllBytes(good);
        c[indexOf(c, "OrderedDict".getBytes()) + 2] ^= 0x01; // inside data.pkl
        Path flippedPkl = Files.write(tmp.resolve("flipped-pkl.pt"), c);
        assertTrue(refused(flippedPkl).contains("entry 'archive/data.pkl' is damaged"));
    }

    @Test
    void truncatedFiles() throws IOException {
        byte[] b = Files.readAllBytes(viewsArchive(false));
        for (int len : new int[] {0, 10, b.length / 2, b.length - 1}) {
            Path t = Files.write(tmp.resolve("trunc" + len + ".pt"), Arrays.copyOf(b, len));
            String m = refused(t);
            assertTrue(m.contains("broken zip archive"), m);
        }
    }

    @Test
    void zipBombs() throws IOException {
        // 1. data.pkl declares 4 GiB from 1 KiB: refused from the directory, before inflating anything (no
        // deflate stream expands more than 1032:1); within that ratio, the per-entry limit refuses it
        ZipBuilder z = new ZipBuilder();
        z.deflated("a/data.pkl", new byte[1 << 20]).declaredSize(0xfffffff0L);
        String m = refused(z.write(tmp.resolve("declared.pt")));
        assertTrue(m.contains("declares 4294967280 bytes from 1033 compressed bytes, more than deflate can produce"), m);
        ZipBuilder within = new ZipBuilder();
        within.deflated("a/data.pkl", new byte[1 << 20]);
        m = refused(within.write(tmp.resolve("limit.pt")), TorchLimits.DEFAULT.withMaxPickleBytes(1000));
        assertTrue(m.contains("declares 1048576 bytes, more than the 1000-byte limit"), m);

        // 2. 64 MiB of zeros (64 KiB deflated) declared as 1 KiB: inflation stops at the declared size
        ZipBuilder lie = new ZipBuilder();
        lie.deflated("a/data.pkl", new byte[64 << 20]).declaredSize(1024);
        m = refused(lie.write(tmp.resolve("lie.pt")));
        assertTrue(m.contains("inflates to more than its declared 1024 bytes"), m);

        // 3. overlapping entries: many names, one body (the non-recursive zip bomb)
        ZipBuilder overlap = new ZipBuilder();
        overlap.stored("a/data.pkl", new PickleBuilder().proto(2).op('}').stop().build());
        overlap.stored("a/data/0", f32(1, 2, 3, 4)).localHeaderAt(0);
        m = refused(overlap.write(tmp.resolve("overlap.pt")));
        assertTrue(m.contains("share bytes"), m);

        // 4. a deflated storage bigger than the inflation budget
        @SuppressWarnings("unchecked")
        byte[] pkl = stateDict(new String[] {"w"}, new java.util.function.Consumer[] {
            (java.util.function.Consumer<PickleBuilder>) p -> p.tensor("ByteStorage", "0", 1 << 20, 0, new long[] {1 << 20}, new long[] {1})});
        ZipBuilder big = new ZipBuilder();
        big.stored("a/data.pkl", pkl);
        big.deflated("a/data/0", new byte[1 << 20]);
        m = refused(big.write(tmp.resolve("budget.pt")), TorchLimits.DEFAULT.withMaxInflatedBytes(1000));
        assertTrue(m.contains("more than the 1000-byte limit for inflating"), m);
    }

    @Test
    void directoryLimitsAndLies() throws IOException {
        ZipBuilder many = new ZipBuilder();
        for (int i = 0; i < 20; i++) many.stored("a/x" + i, new byte[1]);
        assertTrue(refused(many.write(tmp.resolve("many.pt")), TorchLimits.DEFAULT.withMaxZipEntries(10))
                .contains("declares 20 entries, more than the limit of 10"));
        ZipBuilder count = new ZipBuilder();
        count.stored("a/data.pkl", new byte[] {'N', '.'});
        count.declaredCount = 65000;
        assertTrue(refused(count.write(tmp.resolve("count.pt"))).contains("central directory ends inside entry 1"));
        ZipBuilder twice = new ZipBuilder();
        twice.stored("a/data.pkl", new byte[] {'N', '.'});
        twice.stored("a/data.pkl", new byte[] {'N', '.'});
        assertTrue(refused(twice.write(tmp.resolve("twice.pt"))).contains("appears twice"));
        ZipBuilder none = new ZipBuilder();
        none.stored("readme.txt", new byte[] {'h'});
        assertTrue(refused(none.write(tmp.resolve("none.pt"))).contains("without a <name>/data.pkl"));
        ZipBuilder far = new ZipBuilder();
        far.stored("a/data.pkl", new byte[] {'N', '.'}).localHeaderAt(1L << 31);
        assertTrue(refused(far.write(tmp.resolve("far.pt"))).contains("outside the data area"));
        ZipBuilder bigStored = new ZipBuilder();
        bigStored.stored("a/data.pkl", new byte[] {'N', '.'}).declaredSize(1L << 30);
        assertTrue(refused(bigStored.write(tmp.resolve("bigstored.pt"))).contains("runs past the data area"));
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
