package dev.clipengine.weights.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.weights.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16's crafted PyTorch files ({@link HostileFiles}), each refused by {@link TorchFile#open} with
 * one line naming the file, in under 5 s and 32 MiB allocated by the reading thread
 * ({@link TorchFileTest#refused}); and the legitimate neighbours of each (a transposed view, a
 * module shared by two parents) still read correctly. The same files through the command line, in a
 * child JVM under -Xmx512m, are {@code HostileInputsCliTest}'s.
 */
class HostileTorchFilesTest {

    @TempDir
    Path tmp;

    Path write(String name, byte[] bytes) throws IOException {
        return Files.write(tmp.resolve(name), bytes);
    }

    @Test
    void strideZeroViewsAreRefusedNotGathered() throws IOException {
        // case 1: 4 bytes viewed as 2^30 floats (4 GiB) and as 2^40 floats (4 TiB)
        for (int log : new int[] {30, 40}) {
            String m = TorchFileTest.refused(write("view" + log + ".pt", HostileFiles.strideZeroView(1L << log)));
            assertTrue(m.contains("views " + (1L << log) + " elements of storage '0', which holds 1"), m);
        }
    }

    @Test
    void aTransposedViewIsStillGathered() throws IOException {
        try (TorchFile f = TorchFile.open(write("t.pt", HostileFiles.transposedView()))) {
            Tensor w = f.tensors().get("w");
            assertArrayEquals(new long[] {3, 2}, w.shape());
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, w.toFloatArray()); // w[i][j] = s[j*3 + i]
        }
    }

    @Test
    void codecsEncodeOnAMemoisedStringIsBoundedByThePickleSize() throws IOException {
        // case 2: 100,000 calls on one memoised 1 MiB string (was: 100 GB of copying)
        String m = TorchFileTest.refused(write("codecs.pt", zipOf(HostileFiles.codecsEncodeBomb(1 << 20, 100_000))));
        assertTrue(m.contains("builds or copies more than"), m);
    }

    @Test
    void orderedDictOnAMemoisedListIsBoundedByThePickleSize() throws IOException {
        // case 2: 10,000 OrderedDict calls on one memoised list of 500,000 pairs (was: 5·10^9 iterations)
        String m = TorchFileTest.refused(write("od.pt", zipOf(HostileFiles.orderedDictBomb(500_000, 10_000))));
        assertTrue(m.contains("builds or copies more than"), m);
    }

    @Test
    void sharedModuleGraphsAreBoundedByTheirModuleCount() throws IOException {
        // cases 2 and 3: 2^40 paths through 40 modules, each with a 1 MiB source to scan (CPU) and a
        // tensor under an ever longer name (memory)
        String m = TorchFileTest.refused(write("dag.pt", HostileFiles.sharedModuleGraph(40, 1 << 20)));
        assertTrue(m.contains("visits for its"), m);
    }

    @Test
    void aModuleSharedByTwoParentsIsStillReadAsStateDictDoes() throws IOException {
        // depth 3: M2 holds w, a=M1, b=M1; M1 holds w, a=M0, b=M0 -> 7 paths, as state_dict() lists them
        try (TorchFile f = TorchFile.open(write("shared.pt", HostileFiles.sharedModuleGraph(3, 100)))) {
            Map<String, Tensor> t = f.tensors();
            assertEquals(java.util.List.of("w", "a.w", "a.a.w", "a.b.w", "b.w", "b.a.w", "b.b.w"), t.keySet().stream().toList());
            assertEquals(0.25f, t.get("b.a.w").getFloat(0));
        }
    }

    @Test
    void zip64SizesBeyondWhatDeflateCanProduceAreRefusedBeforeAllocating() throws IOException {
        // case 3: 8 GiB declared from a 100-byte deflate stream
        String m = TorchFileTest.refused(write("zip64.pt", HostileFiles.zip64Declared(8L << 30)));
        assertTrue(m.contains("declares 8589934592 bytes from"), m);
        assertTrue(m.contains("more than deflate can produce"), m);
    }

    @Test
    void junkAfterTheEndRecordIsRefused() throws IOException {
        // case 8
        String m = TorchFileTest.refused(write("junk.pt", HostileFiles.junkAfterEnd("GARBAGE")));
        assertTrue(m.contains("7 bytes follow the end-of-central-directory record"), m);
    }

    /** {@code pkl} as the data.pkl of a zip with no storages. */
    static byte[] zipOf(byte[] pkl) {
        ZipBuilder z = new ZipBuilder();
        z.stored("a/data.pkl", pkl);
        return z.build();
    }
}
