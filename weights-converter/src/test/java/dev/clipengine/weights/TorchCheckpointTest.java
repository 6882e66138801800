package dev.clipengine.weights;

import static dev.clipengine.weights.Fixtures.GOLDEN;
import static dev.clipengine.weights.Fixtures.TINY_HEADS;
import static dev.clipengine.weights.Fixtures.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.weights.torch.TorchFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The PyTorch fixtures (TorchScript fp16, torch.save fp32 and fp16) read into the same model as the
 * OpenCLIP safetensors file, independently produced: same names, same numbers (fp16 widened
 * exactly), and the same canonical file bytes after conversion.
 */
class TorchCheckpointTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"openai-jit-fp16.pt", "openai-state_dict.pt", "openai-state_dict-fp16.pt"})
    void sameTensorsAsTheOpenClipFile(String name) throws IOException {
        Path pt = Fixtures.file(name);
        try (ClipCheckpoint ck = ClipCheckpoint.open(pt, TINY_HEADS, s -> { });
             ClipCheckpoint ref = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS, s -> { })) {
            assertEquals(GOLDEN, ck.config());
            assertEquals((name.contains("jit") ? TorchFile.KIND_TORCHSCRIPT : TorchFile.KIND_TORCH_SAVE) + " (OpenAI names)", ck.format());
            assertEquals(ref.tensors().keySet().stream().toList(), ck.tensors().keySet().stream().toList());
            assertEquals(List.of(pt), ck.files());
            DType want = name.contains("fp16") ? DType.F16 : DType.F32;
            for (Tensor r : ref.tensors().values()) {
                Tensor t = ck.tensor(r.name());
                assertEquals(want, t.dtype(), r.name());
                assertArrayEquals(r.shape(), t.shape(), r.name());
                // stored, contiguous storages are served straight from the mapped zip
                assertTrue(t.data().isMapped(), r.name() + " was copied");
                float[] a = r.toFloatArray(), b = t.toFloatArray();
                for (int i = 0; i < a.length; i++) {
                    if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                        throw new AssertionError(r.name() + "[" + i + "]: " + a[i] + " vs " + b[i]);
                    }
                }
            }
            assertTrue(ck.ignored().isEmpty(), ck.ignored().toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai-jit-fp16.pt", "openai-state_dict.pt", "openai-state_dict-fp16.pt"})
    void convertsToTheSameCanonicalTensors(String name) throws IOException {
        Path fromPt = tmp.resolve("pt.safetensors"), fromOc = tmp.resolve("oc.safetensors");
        try (ClipCheckpoint ck = ClipCheckpoint.open(Fixtures.file(name), TINY_HEADS, s -> { })) {
            CanonicalWriter.write(ck, fromPt, DType.F32, Sha256.of(ck.files()));
        }
        try (ClipCheckpoint ck = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS, s -> { })) {
            CanonicalWriter.write(ck, fromOc, DType.F32, null);
        }
        try (SafetensorsFile a = SafetensorsFile.open(fromOc); SafetensorsFile b = SafetensorsFile.open(fromPt)) {
            assertBitIdentical(a.tensors(), b.tensors());
            assertEquals(name, b.metadata().get("source"));
            assertEquals(Sha256.of(Fixtures.file(name)), b.metadata().get("source_sha256"));
        }
    }

    @Test
    void torchScriptNamesMatchTheStateDictFile() throws IOException {
        try (TorchFile jit = TorchFile.open(Fixtures.file("openai-jit-fp16.pt"));
             TorchFile sd = TorchFile.open(Fixtures.file("openai-state_dict-fp16.pt"))) {
            assertEquals(TorchFile.KIND_TORCHSCRIPT, jit.kind());
            assertEquals(TorchFile.KIND_TORCH_SAVE, sd.kind());
            // the walk gives state_dict()'s names and order: parameters, buffers, then submodules
            assertEquals(sd.tensors().keySet().stream().toList(), jit.tensors().keySet().stream().toList());
            for (Map.Entry<String, Tensor> e : sd.tensors().entrySet()) {
                assertEquals(-1, e.getValue().data().mismatch(jit.tensors().get(e.getKey()).data()), e.getKey());
            }
        }
    }

    @Test
    void openAiFilesWithoutHeadOverridesFollowTheWidthRuleAndSaySo() throws IOException {
        // the tiny widths (64, 32) are not multiples of 64 for text: the rule cannot apply, and the error says what to do
        Path pt = Fixtures.file("openai-state_dict.pt");
        WeightsFormatException e = org.junit.jupiter.api.Assertions.assertThrows(WeightsFormatException.class,
                () -> ClipCheckpoint.open(pt, HeadCounts.NONE, s -> { }).close());
        Fixtures.assertOneLineNaming(e, pt);
        assertTrue(e.getMessage().contains("--text-heads"), e.getMessage());
    }

    @Test
    void aDirectoryWithPytorchModelBinIsRead() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("ckpt"));
        Files.copy(Fixtures.file("openai-state_dict.pt"), d.resolve("pytorch_model.bin"));
        try (ClipCheckpoint ck = ClipCheckpoint.open(d, TINY_HEADS, s -> { })) {
            assertEquals("pytorch_model.bin", ck.source().getFileName().toString());
            assertEquals(GOLDEN, ck.config());
            assertFalse(ck.format().contains("safetensors"));
        }
    }
}
