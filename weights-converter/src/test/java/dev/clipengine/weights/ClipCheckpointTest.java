package dev.clipengine.weights;

import static dev.clipengine.weights.Fixtures.GOLDEN;
import static dev.clipengine.weights.Fixtures.TINY_HEADS;
import static dev.clipengine.weights.Fixtures.assertBitIdentical;
import static dev.clipengine.weights.Fixtures.assertOneLineNaming;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the clip-tiny fixture in every format into OpenAI names. */
class ClipCheckpointTest {

    @TempDir
    Path tmp;

    private static WeightsFormatException rejected(Path path, HeadCounts heads, Path named) {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> ClipCheckpoint.open(path, heads, s -> { }).close());
        assertOneLineNaming(e, named);
        return e;
    }

    @Test
    void openClipFileWithHeadOverrides() throws IOException {
        try (ClipCheckpoint ck = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS)) {
            assertEquals(GOLDEN, ck.config());
            assertEquals(ClipCheckpoint.FORMAT_OPENAI, ck.format());
            assertEquals(GOLDEN.tensorShapes().keySet().stream().toList(), ck.tensors().keySet().stream().toList());
            assertEquals(74, ck.tensors().size());
            assertEquals("override", ck.headsSource());
            for (Tensor t : ck.tensors().values()) assertTrue(t.data().isMapped(), t.name() + " is not zero-copy");
            assertArrayEquals(new long[] {64, 32}, ck.tensor("visual.proj").shape());
            assertTrue(ck.ignored().isEmpty());
        }
    }

    @Test
    void huggingFaceDirectoryAndFile() throws IOException {
        for (Path p : List.of(Fixtures.hfDir(), Fixtures.hfDir().resolve("model.safetensors"))) {
            try (ClipCheckpoint ck = ClipCheckpoint.open(p)) {
                assertEquals(GOLDEN, ck.config(), p.toString());
                assertEquals(ClipCheckpoint.FORMAT_HF, ck.format());
                assertEquals("config.json", ck.headsSource());
                assertEquals("model.safetensors", ck.source().getFileName().toString());
                // renamed tensors stay zero-copy; fused and transposed ones are materialised
                assertTrue(ck.tensor("token_embedding.weight").data().isMapped());
                assertTrue(ck.tensor("visual.transformer.resblocks.0.mlp.c_fc.weight").data().isMapped());
                assertFalse(ck.tensor("visual.transformer.resblocks.0.attn.in_proj_weight").data().isMapped());
                assertFalse(ck.tensor("text_projection").data().isMapped());
            }
        }
    }

    @Test
    void huggingFaceTensorsAreBitIdenticalToOpenClip() throws IOException {
        try (ClipCheckpoint hf = ClipCheckpoint.open(Fixtures.hfDir());
             ClipCheckpoint oc = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS)) {
            assertBitIdentical(oc.tensors(), hf.tensors());
        }
    }

    @Test
    void missingTensorIsAOneLineErrorNamingFileAndTensor() throws IOException {
        try (ClipCheckpoint ck = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS)) {
            WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> ck.tensor("visual.nope"));
            assertOneLineNaming(e, ck.source());
            assertTrue(e.getMessage().contains("visual.nope"));
        }
    }

    @Test
    void closeUnmaps() throws IOException {
        ClipCheckpoint ck = ClipCheckpoint.open(Fixtures.hfDir());
        Tensor mapped = ck.tensor("ln_final.weight"), fused = ck.tensor("transformer.resblocks.0.attn.in_proj_bias");
        ck.close();
        ck.close(); // twice is harmless
        assertThrows(IllegalStateException.class, () -> mapped.getFloat(0));
        assertThrows(IllegalStateException.class, () -> fused.getFloat(0));
    }

    // ------------------------------------------------------------------ heads

    @Test
    void headsCannotBeAssumedForTheTinyTextTower() {
        WeightsFormatException e = rejected(Fixtures.openClip(), HeadCounts.NONE, Fixtures.openClip());
        assertTrue(e.getMessage().contains("--text-heads"), e.getMessage());
    }

    @Test
    void assumedHeadsPrintOneWarningLine() throws IOException {
        List<String> warnings = new ArrayList<>();
        try (ClipCheckpoint ck = ClipCheckpoint.open(Fixtures.openClip(), new HeadCounts(null, 2), warnings::add)) {
            assertEquals(1, ck.config().visionHeads()); // OpenAI's rule: 64 / 64
            assertEquals(2, ck.config().textHeads());
        }
        assertEquals(1, warnings.size());
        assertTrue(warnings.getFirst().contains("assumed") && warnings.getFirst().contains("--vision-heads"), warnings.getFirst());
        assertFalse(warnings.getFirst().contains("\n"));
    }

    @Test
    void overridesWinOverConfigJson() throws IOException {
        try (ClipCheckpoint ck = ClipCheckpoint.open(Fixtures.hfDir(), new HeadCounts(8, null))) {
            assertEquals(8, ck.config().visionHeads());
            assertEquals(2, ck.config().textHeads());
            assertEquals("vision: override, text: config.json", ck.headsSource());
        }
        assertTrue(rejected(Fixtures.hfDir(), new HeadCounts(5, null), Fixtures.hfDir().resolve("model.safetensors"))
                .getMessage().contains("not divisible"));
    }

    @Test
    void configJsonThatDisagreesWithTheShapes() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("hf"));
        Files.createSymbolicLink(d.resolve("model.safetensors"), Fixtures.hfDir().resolve("model.safetensors"));
        String cfg = Files.readString(Fixtures.hfDir().resolve("config.json")).replace("\"hidden_size\": 64", "\"hidden_size\": 128");
        Files.writeString(d.resolve("config.json"), cfg);
        WeightsFormatException e = rejected(d, HeadCounts.NONE, d.resolve("config.json"));
        assertTrue(e.getMessage().contains("vision_config.hidden_size is 128"), e.getMessage());
    }

    @Test
    void openClipConfigBesideTheWeightsGivesHeads() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("oc"));
        Files.createSymbolicLink(d.resolve("open_clip_model.safetensors"), Fixtures.openClip());
        Files.writeString(d.resolve("open_clip_config.json"), """
                {"model_cfg": {"embed_dim": 32,
                  "vision_cfg": {"image_size": 64, "layers": 3, "width": 64, "head_width": 16, "patch_size": 16},
                  "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}},
                 "preprocess_cfg": {}}""");
        for (Path p : List.of(d, d.resolve("open_clip_model.safetensors"))) {
            try (ClipCheckpoint ck = ClipCheckpoint.open(p, HeadCounts.NONE, s -> { throw new AssertionError("warned: " + s); })) {
                assertEquals(GOLDEN, ck.config());
                assertEquals("open_clip_config.json", ck.headsSource());
            }
        }
    }

    // ------------------------------------------------------------------ other layouts

    @Test
    void modulePrefixIsStripped() throws IOException {
        Path f = tmp.resolve("ddp.safetensors");
        try (SafetensorsFile src = SafetensorsFile.open(Fixtures.openClip())) {
            List<Tensor> renamed = src.tensors().values().stream()
                    .map(t -> new Tensor("module." + t.name(), t.dtype(), t.shape(), t.data())).toList();
            SafetensorsWriter.write(f, null, renamed, null, 1);
        }
        try (ClipCheckpoint ck = ClipCheckpoint.open(f, TINY_HEADS);
             ClipCheckpoint oc = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS)) {
            assertTrue(ck.format().contains("module."), ck.format());
            assertBitIdentical(oc.tensors(), ck.tensors());
        }
    }

    /** Splits the HF fixture into two shards plus an index (and config.json) in a temp folder. */
    private Path shardedCopy(String shardNameOverride) throws IOException {
        Path d = Files.createDirectory(tmp.resolve("sharded"));
        Files.copy(Fixtures.hfDir().resolve("config.json"), d.resolve("config.json"));
        Map<String, Object> weightMap = new LinkedHashMap<>();
        try (SafetensorsFile src = SafetensorsFile.open(Fixtures.hfDir().resolve("model.safetensors"))) {
            List<Tensor> all = new ArrayList<>(src.tensors().values());
            int half = all.size() / 2;
            String[] names = {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
            SafetensorsWriter.write(d.resolve(names[0]), Map.of("format", "pt"), all.subList(0, half), null, 1);
            SafetensorsWriter.write(d.resolve(names[1]), Map.of("format", "pt"), all.subList(half, all.size()), null, 1);
            for (int i = 0; i < all.size(); i++) weightMap.put(all.get(i).name(), names[i < half ? 0 : 1]);
        }
        if (shardNameOverride != null) weightMap.put(weightMap.keySet().iterator().next(), shardNameOverride);
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", 7250308L));
        index.put("weight_map", weightMap);
        Files.writeString(d.resolve("model.safetensors.index.json"), Json.write(index));
        return d;
    }

    @Test
    void shardedCheckpointReadsBackBitIdentical() throws IOException {
        Path d = shardedCopy(null);
        for (Path p : List.of(d, d.resolve("model.safetensors.index.json"))) {
            try (ClipCheckpoint ck = ClipCheckpoint.open(p);
                 ClipCheckpoint oc = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS)) {
                assertTrue(ck.format().startsWith("sharded safetensors (2 shards"), ck.format());
                assertEquals(GOLDEN, ck.config());
                assertEquals(2, ck.files().size());
                assertEquals("7250308", ck.metadata().get("total_size"));
                assertBitIdentical(oc.tensors(), ck.tensors());
            }
        }
    }

    @Test
    void shardPathsMustStayInsideTheFolder() throws IOException {
        Path outside = tmp.resolve("evil.safetensors");
        Files.copy(Fixtures.hfDir().resolve("model.safetensors"), outside);
        Path d = shardedCopy("../evil.safetensors");
        Path index = d.resolve("model.safetensors.index.json");
        assertTrue(rejected(index, HeadCounts.NONE, index).getMessage().contains("leaves the folder"));
        String abs = Files.readString(index).replace("../evil.safetensors", outside.toAbsolutePath().toString());
        Files.writeString(index, abs);
        assertTrue(rejected(index, HeadCounts.NONE, index).getMessage().contains("leaves the folder"));
        Files.writeString(index, Files.readString(index).replace(outside.toAbsolutePath().toString(), "missing.safetensors"));
        assertTrue(rejected(index, HeadCounts.NONE, index).getMessage().contains("does not exist"));
        Files.writeString(index, "{\"weight_map\": 3}");
        rejected(index, HeadCounts.NONE, index);
    }

    // ------------------------------------------------------------------ what is refused

    @Test
    void legacyNonZipTorchSaveIsRefusedWithAHint() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("hf-bin"));
        // the pre-1.6 format starts with a bare pickle (of the magic number), not a zip
        Files.write(d.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc});
        Files.writeString(d.resolve("config.json"), "{}");
        String m = rejected(d, HeadCounts.NONE, d.resolve("pytorch_model.bin")).getMessage();
        assertTrue(m.contains("legacy pre-1.6 torch.save format") && m.contains("re-save"), m);
    }

    @Test
    void unknownFilesAndFoldersSayWhatWasFound() throws IOException {
        Path txt = Files.writeString(tmp.resolve("notes.txt"), "hello, these are not weights");
        assertTrue(rejected(txt, HeadCounts.NONE, txt).getMessage().contains("unrecognised weights file"));
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        Files.writeString(empty.resolve("readme.md"), "x");
        assertTrue(rejected(empty, HeadCounts.NONE, empty).getMessage().contains("found: readme.md"));
        Path none = tmp.resolve("absent.safetensors");
        assertTrue(rejected(none, HeadCounts.NONE, none).getMessage().contains("no such file"));
    }

    @Test
    void aSafetensorsFileThatIsNotAClip() {
        Path golden = Fixtures.file("golden.safetensors");
        NotAClipException e = assertThrows(NotAClipException.class, () -> ClipCheckpoint.open(golden));
        assertOneLineNaming(e, golden);
    }

    /** The open_clip fixture rewritten with one tensor changed by {@code edit} (null result = dropped). */
    private Path editedOpenClip(java.util.function.UnaryOperator<Tensor> edit) throws IOException {
        Path f = tmp.resolve("edited.safetensors");
        try (SafetensorsFile src = SafetensorsFile.open(Fixtures.openClip())) {
            List<Tensor> out = new ArrayList<>();
            for (Tensor t : src.tensors().values()) {
                Tensor e = edit.apply(t);
                if (e != null) out.add(e);
            }
            SafetensorsWriter.write(f, null, out, null, 1);
        }
        return f;
    }

    @Test
    void wrongShapeNamesTensorExpectedAndFound() throws IOException {
        Path f = editedOpenClip(t -> t.name().equals("visual.ln_pre.bias")
                ? new Tensor(t.name(), t.dtype(), new long[] {63}, t.data().asSlice(0, 63 * 4)) : t);
        String m = rejected(f, TINY_HEADS, f).getMessage();
        assertTrue(m.contains("'visual.ln_pre.bias': expected shape [64], found [63]"), m);
    }

    @Test
    void missingTensorAndNonFloatDtype() throws IOException {
        Path f = editedOpenClip(t -> t.name().equals("visual.ln_post.weight") ? null : t);
        assertTrue(rejected(f, TINY_HEADS, f).getMessage().contains("missing tensor 'visual.ln_post.weight'"));
        Files.delete(f);
        Path g = editedOpenClip(t -> t.name().equals("logit_scale") ? new Tensor(t.name(), DType.I32, t.shape(), t.data()) : t);
        assertTrue(rejected(g, TINY_HEADS, g).getMessage().contains("not a float weight type"));
    }

    @Test
    void huggingFaceMissingKeyProjection() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("hf-broken"));
        try (SafetensorsFile src = SafetensorsFile.open(Fixtures.hfDir().resolve("model.safetensors"))) {
            List<Tensor> kept = src.tensors().values().stream()
                    .filter(t -> !t.name().equals("text_model.encoder.layers.1.self_attn.k_proj.bias")).toList();
            SafetensorsWriter.write(d.resolve("model.safetensors"), null, kept, null, 1);
        }
        Files.copy(Fixtures.hfDir().resolve("config.json"), d.resolve("config.json"));
        String m = rejected(d, HeadCounts.NONE, d.resolve("model.safetensors")).getMessage();
        assertTrue(m.contains("text_model.encoder.layers.1.self_attn.k_proj.bias"), m);
    }
}
