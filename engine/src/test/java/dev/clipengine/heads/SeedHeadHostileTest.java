package dev.clipengine.heads;

import dev.clipengine.Fixtures;
import dev.clipengine.kernels.Backends;
import dev.clipengine.weights.WeightsFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Broken and hostile seed-head inputs end in one line that says what is wrong: missing keys, wrong shapes, class
 * counts that do not match the decoder, truncated checkpoints and text-feature files. The hand-made checkpoints come
 * from {@code src/test/python/make_seed_head_files.py} (also fuzz seeds of the weights reader).
 */
class SeedHeadHostileTest {

    @TempDir
    Path tmp;

    Path resource(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream(name)) {
            assertTrue(in != null, name);
            return Files.write(tmp.resolve(name), in.readAllBytes());
        }
    }

    static String oneLine(Exception e, String... fragments) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        for (String f : fragments) assertTrue(m.contains(f), "'" + f + "' in: " + m);
        return m;
    }

    @Test
    void wrongShapeIsNamedWithWhatWasExpected() throws IOException {
        Path p = resource("issue14_ddp_wrong_shape.pth");
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> ReclipHead.load(p, Backends.cpu(), null));
        oneLine(e, p.toString(), "decoder_conv2.weight", "[2, 5, 5, 5]", "expected [2, 6, 5, 5]");
    }

    @Test
    void missingKeysAreNamed() throws IOException {
        Path p = resource("issue14_mmcv_missing_backbone.pth");
        oneLine(assertThrows(WeightsFormatException.class, () -> ZegclipHead.load(p, Backends.cpu(), 0, 0)),
                "missing tensor 'backbone.conv1.weight'");
        oneLine(assertThrows(WeightsFormatException.class, () -> ReclipHead.load(p, Backends.cpu(), null)),
                "missing tensor 'decoder_conv2.weight'");
        Path reclip = Fixtures.seedHead("reclip-tiny").resolve("best_weight.pth");
        oneLine(assertThrows(WeightsFormatException.class, () -> ZegclipHead.load(reclip, Backends.cpu(), 0, 0)),
                "decode_head.q_proj.weight", "not a checkpoint of these heads");
    }

    @Test
    void truncatedCheckpointsAreRefused() throws IOException {
        for (Path full : List.of(Fixtures.seedHead("reclip-tiny").resolve("best_weight.pth"),
                Fixtures.seedHead("zegclip-tiny").resolve("tagclip/tagclip-voc-inductive-tiny.pth"))) {
            byte[] whole = Files.readAllBytes(full);
            for (int cut : new int[] {0, 100, whole.length / 2, whole.length - 22}) {
                Path p = Files.write(tmp.resolve("cut" + cut + ".pth"), Arrays.copyOf(whole, cut));
                oneLine(assertThrows(IOException.class, () -> ReclipHead.load(p, Backends.cpu(), null)), p.toString());
                oneLine(assertThrows(IOException.class, () -> ZegclipHead.load(p, Backends.cpu(), 0, 0)), p.toString());
            }
        }
    }

    @Test
    void classCountsThatDoNotMatchNameBothSizes() throws IOException {
        Path dir = Fixtures.seedHead("reclip-tiny");
        oneLine(assertThrows(WeightsFormatException.class, () -> ClassEmbeddings.read(dir.resolve("voc_clip_text.npy"), 21, 32)),
                "20 class embeddings", "21 classes");
        oneLine(assertThrows(WeightsFormatException.class, () -> ClassEmbeddings.read(dir.resolve("voc_clip_text.pth"), 20, 512)),
                "32-dimensional", "512");
        try (ReclipHead head = ReclipHead.load(dir.resolve("best_weight.pth"), Backends.cpu(), new ReclipHead.Heads(4, 2))) {
            oneLine(assertThrows(IllegalArgumentException.class, () -> head.referencePrompts(List.of("cat", "dog"), null)),
                    "2 class names", "20 classes");
        }
    }

    static byte[] npy(String header, int dataBytes) {
        String h = header;
        while ((10 + h.length() + 1) % 64 != 0) h += " ";
        h += "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) h.length());
        b.put(h.getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    @Test
    void brokenNpyFilesAreRefused() throws IOException {
        String[][] cases = {
                {"{'descr': '<f2', 'fortran_order': False, 'shape': (20, 32), }", "100", "truncated .npy data"},
                {"{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", "16", "little-endian float"},
                {"{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", "32", "little-endian float"},
                {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", "32", "2-dimensional"},
                {"{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 4000000000), }", "0", "too large"}};
        for (String[] c : cases) {
            Path p = Files.write(tmp.resolve("bad.npy"), npy(c[0], Integer.parseInt(c[1])));
            oneLine(assertThrows(WeightsFormatException.class, () -> ClassEmbeddings.read(p)), c[2]);
        }
        Path nan = Files.write(tmp.resolve("nan.npy"), npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 1), }", 2));
        byte[] b = Files.readAllBytes(nan);
        b[b.length - 1] = (byte) 0x7e;   // fp16 0x7e00: NaN
        Files.write(nan, b);
        oneLine(assertThrows(WeightsFormatException.class, () -> ClassEmbeddings.read(nan)), "non-finite");
        Path junk = Files.write(tmp.resolve("junk.npy"), "not numpy".getBytes(StandardCharsets.US_ASCII));
        oneLine(assertThrows(WeightsFormatException.class, () -> ClassEmbeddings.read(junk)), "not a NumPy");
    }

    @Test
    void fortranOrderIsReadByColumns() throws IOException {
        byte[] b = npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int off = b.length - 24;
        // column-major storage of [[0, 1, 2], [3, 4, 5]]: 0, 3, 1, 4, 2, 5
        float[] stored = {0, 3, 1, 4, 2, 5};
        for (int i = 0; i < 6; i++) bb.putFloat(off + 4 * i, stored[i]);
        Path p = Files.write(tmp.resolve("f.npy"), b);
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, ClassEmbeddings.read(p).values());
    }
}
