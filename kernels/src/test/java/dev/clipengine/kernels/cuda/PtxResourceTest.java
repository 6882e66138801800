package dev.clipengine.kernels.cuda;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PtxResourceTest {

    static final Set<String> KERNELS = Set.of("layer_norm_f32", "softmax_rows_f32", "quick_gelu_f32", "add_f32",
            "bias_add_f32", "bias_quick_gelu_f32", "copy_rows_f32", "f32_to_bf16", "cosine_normalize_f32", "bilinear_f32",
            "median_filter_f32", "dbscan_sq_norms", "dbscan_neighbours", "dbscan_core", "dbscan_propagate",
            "dbscan_jump", "dbscan_number", "dbscan_labels");

    @Test
    void everyKernelIsAnEntryOfTheCommittedPtx() {
        PtxModule ptx = PtxModule.load();
        assertEquals(KERNELS, ptx.entries().keySet());
        for (String k : KERNELS) assertTrue(ptx.text().contains(".visible .entry " + k + "("), k);
    }

    @Test
    void ptxTargetsAmpereWithAnOldIsaSoOlderDriversCanJitIt() {
        PtxModule ptx = PtxModule.load();
        assertEquals("sm_80", ptx.target());
        assertEquals(70, ptx.isaVersion());
        assertEquals(11000, ptx.minimumDriverVersion());
        assertArrayEquals(new int[] {8, 0}, ptx.minimumComputeCapability());
        assertTrue(ptx.text().contains(".address_size 64"));
    }

    @Test
    void committedPtxWasBuiltFromTheCurrentSource() throws Exception {
        Path cu = moduleDir().resolve("src/main/cuda/clip_kernels.cu");
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(cu)));
        // the committed file, not the classpath copy (the ptx profile may have rebuilt that one from the source)
        PtxModule committed = PtxModule.of(Files.readString(
                moduleDir().resolve("src/main/resources/dev/clipengine/kernels/cuda/clip_kernels.ptx")));
        assertEquals(sha, committed.sourceSha256(),
                "clip_kernels.cu changed since the PTX was built: run kernels/src/main/cuda/build-ptx.sh and commit the PTX");
    }

    @Test
    void isaTableMapsToDrivers() {
        assertEquals(11080, PtxModule.of(".version 7.8\n.target sm_80\n").minimumDriverVersion());
        assertEquals(12040, PtxModule.of(".version 8.4\n.target sm_80\n").minimumDriverVersion());
        assertEquals(13000, PtxModule.of(".version 9.0\n.target sm_80\n").minimumDriverVersion());
    }

    static Path moduleDir() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("src/main/cuda")) ? here : here.resolve("kernels");
    }
}
