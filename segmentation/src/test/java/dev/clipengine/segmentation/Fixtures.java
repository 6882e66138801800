package dev.clipengine.segmentation;

import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Locates the conformance fixtures (the repository's testdata/, or -Dclip.shared); aborts (never passes vacuously) when they are missing. */
final class Fixtures {

    static final String[] CASES = {"seg.img0.voc20", "seg.img0.voc21", "seg.img1.voc20", "seg.img1.voc21"};

    private Fixtures() {
    }

    static Path dir() {
        Path d = Path.of(System.getProperty("clip.shared", "../testdata"), "fixtures/clip-tiny");
        assumeTrue(Files.isRegularFile(d.resolve("golden.safetensors")),
                "!!! GOLDEN FIXTURES MISSING: " + d.toAbsolutePath().resolve("golden.safetensors")
                        + " does not exist — these conformance tests were NOT run. The repository's are in testdata/; or point"
                        + " the build at a copy with -Dclip.shared=<folder with fixtures/ and data/> !!!");
        return d;
    }

    static SafetensorsFile golden() throws IOException {
        return SafetensorsFile.open(dir().resolve("golden.safetensors"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> segMeta(SafetensorsFile f, String key) {
        Map<String, Object> all = (Map<String, Object>) Json.parse(f.metadata().get("segmentation"));
        return (Map<String, Object>) all.get(key);
    }

    static int[] ints(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Math.toIntExact(v[i]);
        return out;
    }
}
