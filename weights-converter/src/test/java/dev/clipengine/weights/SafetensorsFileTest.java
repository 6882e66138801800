package dev.clipengine.weights;

import static dev.clipengine.weights.TestFiles.floats;
import static dev.clipengine.weights.TestFiles.raw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Valid and hostile safetensors files, built in a temp dir (no fixtures needed). */
class SafetensorsFileTest {

    @TempDir
    Path tmp;

    private static final String OK_ENTRY = "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}";

    private WeightsFormatException rejected(Path file) {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> SafetensorsFile.open(file).close());
        Fixtures.assertOneLineNaming(e, file);
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        return e;
    }

    @Test
    void readsAValidFileZeroCopy() throws IOException {
        Path f = raw(tmp.resolve("ok.safetensors"), "{\"__metadata__\":{\"k\":\"v\"}," + OK_ENTRY + "}", floats(4));
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            Tensor a = sf.tensor("a");
            assertEquals(DType.F32, a.dtype());
            assertArrayEquals(new long[] {2, 2}, a.shape());
            assertArrayEquals(new float[] {0, 1, 2, 3}, a.toFloatArray());
            assertTrue(a.data().isMapped());
            assertEquals("v", sf.metadata().get("k"));
            WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> sf.tensor("b"));
            Fixtures.assertOneLineNaming(e, f);
        }
    }

    @Test
    void dataSectionNotFullyCoveredIsAccepted() throws IOException {
        // 16 bytes of padding before the tensor and 8 after it: allowed (alignment padding)
        Path f = raw(tmp.resolve("gap.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}",
                new byte[40]);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(16, sf.tensor("a").data().byteSize());
        }
    }

    @Test
    void tooShort() throws IOException {
        Path f = tmp.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertTrue(rejected(f).getMessage().contains("too short"));
    }

    @Test
    void truncated() throws IOException {
        Path f = raw(tmp.resolve("trunc.safetensors"), "{" + OK_ENTRY + "}", Arrays.copyOf(floats(4), 10));
        assertTrue(rejected(f).getMessage().contains("outside"));
    }

    @Test
    void headerLengthHuge() throws IOException {
        byte[] h = ("{" + OK_ENTRY + "}").getBytes(StandardCharsets.UTF_8);
        Path f = raw(tmp.resolve("huge.safetensors"), 1L << 40, h, floats(4));
        assertTrue(rejected(f).getMessage().contains("header length"));
        Path g = raw(tmp.resolve("neg.safetensors"), -5, h, floats(4));
        assertTrue(rejected(g).getMessage().contains("header length"));
        Path k = raw(tmp.resolve("over.safetensors"), h.length + 17 + 8, h, floats(4)); // just past the end
        rejected(k);
    }

    @Test
    void badJson() throws IOException {
        assertTrue(rejected(raw(tmp.resolve("json.safetensors"), "{\"a\": {\"dtype\":", new byte[0]))
                .getMessage().contains("not valid JSON"));
        rejected(raw(tmp.resolve("array.safetensors"), "[1,2,3]", new byte[0]));
        rejected(raw(tmp.resolve("dup.safetensors"), "{" + OK_ENTRY + "," + OK_ENTRY + "}", floats(4)));
        byte[] bad = {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'};
        assertTrue(rejected(raw(tmp.resolve("utf8.safetensors"), bad.length, bad, new byte[0])).getMessage().contains("UTF-8"));
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 10_000; i++) deep.append('[');
        rejected(raw(tmp.resolve("deep.safetensors"), deep.toString(), new byte[0]));
    }

    @Test
    void offsetsPastEnd() throws IOException {
        Path f = raw(tmp.resolve("past.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[1000,1016]}}", floats(4));
        assertTrue(rejected(f).getMessage().contains("'a'"));
        rejected(raw(tmp.resolve("negoff.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[-4,-4]}}", floats(4)));
        rejected(raw(tmp.resolve("reversed.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", floats(4)));
    }

    @Test
    void overlappingOffsets() throws IOException {
        Path f = raw(tmp.resolve("overlap.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", floats(4));
        assertTrue(rejected(f).getMessage().contains("overlap"));
        // zero-size tensors share no bytes: fine
        Path g = raw(tmp.resolve("empty.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", floats(4));
        SafetensorsFile.open(g).close();
    }

    @Test
    void wrongByteCountForShape() throws IOException {
        Path f = raw(tmp.resolve("count.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}",
                floats(4));
        assertTrue(rejected(f).getMessage().contains("expected 12"));
    }

    @Test
    void unknownDtype() throws IOException {
        Path f = raw(tmp.resolve("dtype.safetensors"), "{\"a\":{\"dtype\":\"F8_E9M9\",\"shape\":[4],\"data_offsets\":[0,4]}}",
                floats(1));
        assertTrue(rejected(f).getMessage().contains("unknown dtype"));
        rejected(raw(tmp.resolve("dtype2.safetensors"), "{\"a\":{\"dtype\":7,\"shape\":[4],\"data_offsets\":[0,4]}}", floats(1)));
    }

    @Test
    void badShapes() throws IOException {
        rejected(raw(tmp.resolve("s1.safetensors"), "{\"a\":{\"dtype\":\"U8\",\"shape\":[\"4\"],\"data_offsets\":[0,4]}}", floats(1)));
        rejected(raw(tmp.resolve("s2.safetensors"), "{\"a\":{\"dtype\":\"U8\",\"shape\":[2.0,2],\"data_offsets\":[0,4]}}", floats(1)));
        rejected(raw(tmp.resolve("s3.safetensors"), "{\"a\":{\"dtype\":\"U8\",\"shape\":[-2,-2],\"data_offsets\":[0,4]}}", floats(1)));
        rejected(raw(tmp.resolve("s4.safetensors"), "{\"a\":{\"dtype\":\"U8\",\"shape\":4,\"data_offsets\":[0,4]}}", floats(1)));
        assertTrue(rejected(raw(tmp.resolve("s5.safetensors"),
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,4],\"data_offsets\":[0,4]}}", floats(1)))
                .getMessage().contains("rank"));
        rejected(raw(tmp.resolve("s6.safetensors"),
                "{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", floats(1)));
        rejected(raw(tmp.resolve("s7.safetensors"), "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0]}}", floats(1)));
        rejected(raw(tmp.resolve("s8.safetensors"), "{\"a\":[1,2]}", floats(1)));
    }

    @Test
    void badMetadata() throws IOException {
        rejected(raw(tmp.resolve("m1.safetensors"), "{\"__metadata__\":[1]," + OK_ENTRY + "}", floats(4)));
        rejected(raw(tmp.resolve("m2.safetensors"), "{\"__metadata__\":{\"n\":1}," + OK_ENTRY + "}", floats(4)));
    }

    @Test
    void hostileNamesStayOnOneLine() throws IOException {
        Path f = raw(tmp.resolve("name.safetensors"), "{\"evil\\nname\\u2028x\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}",
                floats(1));
        assertTrue(rejected(f).getMessage().contains("evil\\nname"));
    }
}
