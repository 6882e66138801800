package dev.clipengine.weights.torch;

import dev.clipengine.weights.DType;
import dev.clipengine.weights.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The containers the seed-head checkpoints come in (issue 14, fixtures README "reclip-tiny", "zegclip-tiny"): a DDP
 * state dict with shared storages, fp16 and int64 entries and cuda:0 locations; an mmcv
 * {@code {'meta', 'state_dict', 'optimizer'}} whose optimizer state is never loaded; a {@code torch.save} of one
 * transposed tensor. The hand-made files are the fuzz seeds {@code issue14_*} (written by
 * {@code engine/src/test/python/make_seed_head_files.py}); the released-shape files are the fixtures.
 */
class SeedHeadContainersTest {

    @TempDir
    Path tmp;

    Path seed(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("TorchZipFuzzTestInputs/open/" + name)) {
            assertTrue(in != null, name + " on the test class path");
            return Files.write(tmp.resolve(name), in.readAllBytes());
        }
    }

    static Path fixture(String relative) {
        Path p = Path.of(System.getProperty("clip.shared", "../testdata")).toAbsolutePath().normalize().resolve("fixtures").resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(p), "SKIPPED: fixture " + p + " missing");
        return p;
    }

    @Test
    void ddpStateDictSharesStoragesAndKeepsDtypes() throws IOException {
        try (TorchFile f = TorchFile.open(seed("issue14_ddp_wrong_shape.pth"))) {
            Map<String, Tensor> t = f.tensors();
            Tensor a = t.get("module.clip.visual.conv1.weight"), b = t.get("module.vit.conv1.weight");
            // one storage under two names: the same mapped bytes, not two copies
            assertEquals(a.data().address(), b.data().address());
            assertEquals(DType.F16, t.get("module.clip.text_projection").dtype());
            assertEquals(DType.I64, t.get("module.decoder_norm2.num_batches_tracked").dtype());
            assertEquals(7L, t.get("module.decoder_norm2.num_batches_tracked").getLong(0));
            assertEquals(0, t.get("module.decoder_norm2.num_batches_tracked").rank());
            // a [4, 8, 1, 1] view with strides (1, 4, 1, 1) of the 32 values v(i): element [o, i] is v(o + 4 i)
            Tensor proj = t.get("module.proj.weight");
            assertEquals(seqValue(1 + 4 * 2), proj.getFloat(1 * 8 + 2), 0f);
            assertTrue(f.meta().isEmpty());
        }
    }

    /** The generator's values: ((i·37) mod 101 − 50)·0.01 in fp32. */
    static float seqValue(int i) {
        return (float) (((i * 37) % 101 - 50) * 0.01);
    }

    @Test
    void mmcvCheckpointSkipsTheOptimizerAndKeepsTheConfig() throws IOException {
        try (TorchFile f = TorchFile.open(seed("issue14_mmcv_missing_backbone.pth"))) {
            assertEquals(java.util.Set.of("decode_head.q_proj.weight"), f.tensors().keySet());
            assertTrue(((String) f.meta().get("config")).contains("crop_size=(128, 128)"));
            assertFalse(f.meta().containsKey("state_dict"));
        }
    }

    @Test
    void oneBareTensorIsRead() throws IOException {
        try (TorchFile f = TorchFile.open(seed("issue14_text_weights.pth"))) {
            Tensor t = f.tensors().get(TorchFile.SINGLE_TENSOR);
            assertArrayEquals(new long[] {3, 4}, t.shape());
            // strides (1, 3): element [r, c] is storage value r + 3c
            for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) assertEquals((float) (((r + 3 * c) * 37 % 101 - 50) * 0.1), t.getFloat(r * 4 + c), 0f);
        }
    }

    @Test
    void releasedReclipContainerLoadsAsShipped() throws IOException {
        try (TorchFile f = TorchFile.open(fixture("reclip-tiny/best_weight.pth"))) {
            Map<String, Tensor> t = f.tensors();
            assertEquals(374, t.size());
            assertTrue(t.keySet().stream().allMatch(k -> k.startsWith("module.")));
            assertNull(t.get("module.vit.proj"), "the GPU-trained key set");
            assertNull(t.get("module.text_encoder.text_projection"));
            assertEquals(DType.F16, t.get("module.clip.text_projection").dtype());
            assertEquals(t.get("module.clip.visual.transformer.resblocks.0.attn.in_proj_weight").data().address(),
                    t.get("module.vit.transformer.resblocks.0.attn.in_proj_weight").data().address());
        }
    }

    @Test
    void releasedMmcvContainersLoadAsShipped() throws IOException {
        for (String[] c : new String[][] {{"zegclip-tiny/zegclip/zegclip-voc-inductive-tiny.pth", "376"},
                {"zegclip-tiny/tagclip/tagclip-voc-inductive-tiny.pth", "369"}}) {
            try (TorchFile f = TorchFile.open(fixture(c[0]))) {
                // only the state dict: the AdamW state beside it (cuda:0 storages) is never materialised
                assertEquals(Integer.parseInt(c[1]), f.tensors().size(), c[0]);
                assertTrue(f.tensors().keySet().stream().noneMatch(k -> k.startsWith("module.")));
                assertTrue(((String) f.meta().get("config")).contains("test_cfg"), c[0]);
                assertTrue(f.meta().get("CLASSES") != null, c[0]);
            }
        }
    }

    @Test
    void truncatedSeedHeadCheckpointsAreRefusedInOneLine() throws IOException {
        byte[] whole = Files.readAllBytes(fixture("zegclip-tiny/zegclip/zegclip-voc-inductive-tiny.pth"));
        for (int cut : new int[] {whole.length / 3, whole.length - 100, whole.length - 1}) {
            Path p = Files.write(tmp.resolve("cut" + cut + ".pth"), java.util.Arrays.copyOf(whole, cut));
            TorchFileTest.refused(p);
        }
    }
}
