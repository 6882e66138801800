package dev.clipengine.weights;

import static dev.clipengine.weights.Fixtures.GOLDEN;
import static dev.clipengine.weights.Fixtures.TINY_HEADS;
import static dev.clipengine.weights.Fixtures.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The canonical writer, and reading its output back. */
class CanonicalWriterTest {

    @TempDir
    Path tmp;

    @Test
    void f32RoundTripIsBitIdenticalZeroCopyAndAligned() throws Exception {
        Path hf = Fixtures.hfDir().resolve("model.safetensors");
        Path out = tmp.resolve("tiny.safetensors");
        String sha;
        try (ClipCheckpoint src = ClipCheckpoint.open(hf)) {
            sha = Sha256.of(src.files());
            long size = CanonicalWriter.write(src, out, DType.F32, sha);
            assertEquals(Files.size(out), size);
        }
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(hf))), sha);
        try (ClipCheckpoint ck = ClipCheckpoint.open(out, HeadCounts.NONE, s -> { throw new AssertionError(s); });
             ClipCheckpoint oc = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS)) {
            assertEquals(ClipCheckpoint.FORMAT_CANONICAL, ck.format());
            assertEquals(GOLDEN, ck.config()); // heads from the metadata
            assertEquals("metadata", ck.headsSource());
            assertBitIdentical(oc.tensors(), ck.tensors());
            long expectedStart = -1;
            for (Tensor t : ck.tensors().values()) {
                assertTrue(t.data().isMapped(), t.name());
                // contiguous, as the reference safetensors implementation requires of data_offsets
                if (expectedStart >= 0) assertEquals(expectedStart, t.data().address(), t.name() + " leaves a gap");
                expectedStart = t.data().address() + t.data().byteSize();
            }
            Map<String, String> md = ck.metadata();
            assertEquals("clip-engine-canonical", md.get("format"));
            assertEquals("1", md.get("format_version"));
            assertEquals(GOLDEN, ClipConfig.fromJson(md.get("config")));
            assertEquals("model.safetensors", md.get("source"));
            assertEquals(sha, md.get("source_sha256"));
            assertEquals("F32", md.get("dtype"));
        }
        try (SafetensorsFile sf = SafetensorsFile.open(out)) {
            assertEquals(0, (8 + sf.headerBytes()) % 8);
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(out), left.toList(), "temporary files left behind");
        }
    }

    @Test
    void f16IsExactForTheFixture() throws IOException {
        Path out = tmp.resolve("tiny-f16.safetensors");
        try (ClipCheckpoint src = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS)) {
            CanonicalWriter.write(src, out, DType.F16, null);
        }
        try (ClipCheckpoint ck = ClipCheckpoint.open(out);
             ClipCheckpoint oc = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS)) {
            assertEquals(GOLDEN, ck.config());
            assertEquals(null, ck.metadata().get("source_sha256"));
            for (Tensor t : ck.tensors().values()) {
                assertEquals(DType.F16, t.dtype());
                Tensor ref = oc.tensor(t.name());
                for (long i = 0; i < t.elementCount(); i++) {
                    if (Float.floatToRawIntBits(t.getFloat(i)) != Float.floatToRawIntBits(ref.getFloat(i))) {
                        throw new AssertionError(t.name() + "[" + i + "]: " + t.getFloat(i) + " != " + ref.getFloat(i));
                    }
                }
            }
        }
    }

    @Test
    void bf16RoundsToNearestEvenOnTheWholeModel() throws IOException {
        Path out = tmp.resolve("tiny-bf16.safetensors");
        try (ClipCheckpoint src = ClipCheckpoint.open(Fixtures.hfDir())) {
            CanonicalWriter.write(src, out, DType.BF16, "abc");
        }
        try (ClipCheckpoint ck = ClipCheckpoint.open(out);
             ClipCheckpoint oc = ClipCheckpoint.open(Fixtures.openClip(), TINY_HEADS)) {
            assertEquals("BF16", ck.metadata().get("dtype"));
            for (Tensor t : ck.tensors().values()) {
                assertEquals(DType.BF16, t.dtype());
                Tensor ref = oc.tensor(t.name());
                for (long i = 0; i < t.elementCount(); i++) {
                    short want = SafetensorsWriter.toBf16(ref.getFloat(i));
                    short got = t.data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i);
                    if (want != got) throw new AssertionError(t.name() + "[" + i + "]");
                }
            }
        }
    }

    private static short bf16(int floatBits) {
        return SafetensorsWriter.toBf16(Float.intBitsToFloat(floatBits));
    }

    @Test
    void bf16HandPickedValues() {
        assertEquals((short) 0x3F80, bf16(0x3F800000)); // 1.0 exact
        assertEquals((short) 0x3F80, bf16(0x3F808000)); // tie, 0x3F80 is even: down
        assertEquals((short) 0x3F82, bf16(0x3F818000)); // tie, 0x3F81 is odd: up
        assertEquals((short) 0x3F81, bf16(0x3F808001)); // just above the tie: up
        assertEquals((short) 0x3F80, bf16(0x3F807FFF)); // just below the tie: down
        assertEquals((short) 0xBF82, bf16(0xBF818000)); // negative tie: magnitude to even
        assertEquals((short) 0x8000, bf16(0x80000000)); // -0.0
        assertEquals((short) 0x0000, bf16(0x00000001)); // smallest subnormal: to zero
        assertEquals((short) 0x7F80, bf16(Float.floatToRawIntBits(Float.MAX_VALUE))); // past the range: +inf
        assertEquals((short) 0x7F7F, bf16(0x7F7F7FFF)); // largest that stays finite
        assertEquals((short) 0xFF80, bf16(0xFF800000)); // -inf
        // NaN stays NaN (a signalling NaN with a low payload would truncate to infinity)
        for (int nan : new int[] {0x7FC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF}) {
            short b = bf16(nan);
            assertTrue(Float.isNaN(SafetensorsWriter.fromBf16(b)), Integer.toHexString(nan));
            assertEquals(nan < 0, b < 0, "sign of " + Integer.toHexString(nan));
        }
    }

    @Test
    void f16HandPickedValues() {
        assertEquals((short) 0x3C00, Float.floatToFloat16(Float.intBitsToFloat(0x3F801000))); // 1 + 2^-11: tie to even
        assertEquals((short) 0x3C02, Float.floatToFloat16(Float.intBitsToFloat(0x3F803000))); // 1 + 3*2^-11: tie up
        assertEquals((short) 0x7C00, Float.floatToFloat16(65520f)); // rounds past 65504: +inf
        assertTrue(Float.isNaN(Float.float16ToFloat(Float.floatToFloat16(Float.NaN))));
    }

    @Test
    void failureLeavesNothingHalfWritten() throws IOException {
        Path out = tmp.resolve("out.safetensors");
        Files.writeString(out, "previous content");
        ClipCheckpoint src = ClipCheckpoint.open(Fixtures.hfDir());
        src.close(); // its tensors are gone: writing must fail midway
        assertThrows(IllegalStateException.class, () -> CanonicalWriter.write(src, out, DType.F16, null));
        assertEquals("previous content", Files.readString(out));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(out), left.toList(), "temporary file left behind");
        }
    }

    @Test
    void onlyFloatTargets() throws IOException {
        try (ClipCheckpoint src = ClipCheckpoint.open(Fixtures.hfDir())) {
            assertThrows(IllegalArgumentException.class, () -> CanonicalWriter.write(src, tmp.resolve("x"), DType.I8, null));
        }
    }

    @Test
    void canonicalMetadataThatDisagreesWithShapesIsRejected() throws IOException {
        Path out = tmp.resolve("bad.safetensors");
        try (ClipCheckpoint src = ClipCheckpoint.open(Fixtures.hfDir())) {
            Map<String, String> md = CanonicalWriter.metadata(src, DType.F32, null);
            md.put("config", GOLDEN.toJson().replace("\"vocab_size\":49408", "\"vocab_size\":49000"));
            SafetensorsWriter.write(out, md, src.tensors().values(), null, 64);
        }
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> ClipCheckpoint.open(out));
        Fixtures.assertOneLineNaming(e, out);
        assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
    }
}
