package dev.clipengine;

import dev.clipengine.image.RgbImage;
import dev.clipengine.weights.SafetensorsFile;
import dev.clipengine.weights.Tensor;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the conformance fixtures are: the repository's {@code testdata/} ({@code testdata/README.md} says what it
 * holds and where it comes from), or {@code -Dclip.shared=DIR} for a fuller copy with the same layout. A missing
 * folder fails the run under CI (so the suite never passes vacuously there) and is a loud skip elsewhere; a file
 * the repository does not carry ({@link #optional}) is a skip that says so, never a silent pass.
 */
public final class Fixtures {

    private Fixtures() {
    }

    public static Path shared() {
        // Maven passes the in-repository copy; a test started from an IDE in the module folder finds the same one
        return Path.of(System.getProperty("clip.shared", "../testdata")).toAbsolutePath().normalize();
    }

    public static Path clipTiny() {
        return fixture("clip-tiny");
    }

    /** The 12-layer tiny CLIP and the goldens of the mid-layer methods ({@code testdata/README.md}). */
    public static Path clipTiny12() {
        return fixture("clip-tiny12");
    }

    /** A seed-head fixture folder ({@code reclip-tiny}, {@code zegclip-tiny}). */
    public static Path seedHead(String name) {
        return fixture(name);
    }

    /** {@code fixtures/NAME} of {@link #shared()}; missing, it fails under CI ({@code CI=true}) and is a loud skip elsewhere. */
    private static Path fixture(String name) {
        Path dir = shared().resolve("fixtures").resolve(name);
        if (!Files.isDirectory(dir)) {
            String msg = "CONFORMANCE FIXTURES MISSING: " + dir + " does not exist; the repository's are in testdata/, or set -Dclip.shared=<folder with fixtures/ and data/>";
            System.err.println("!!! " + msg);
            if ("true".equals(System.getenv("CI"))) Assertions.fail(msg);
            Assumptions.abort(msg);
        }
        return dir;
    }

    /** Asserts max |diff| ≤ {@code tol · max(1, max |expected|)}: a tolerance relative to the tensor's scale. */
    public static void assertCloseToScale(float[] expected, float[] actual, float tol, String what) {
        float scale = 1f;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        float d = maxAbsDiff(expected, actual);
        System.out.printf("%s: max |diff| %.3g (scale %.3g)%n", what, d, scale);
        Assertions.assertTrue(d <= tol * scale, what + ": max |diff| = " + d + " > " + tol + " x scale " + scale);
    }

    /**
     * A clip-tiny file the repository leaves out to stay small (the other weight formats: {@code testdata/README.md});
     * the calling test is reported as skipped, naming the file, unless {@code -Dclip.shared} points at a copy that
     * holds it. Not a failure under CI: CI runs with the repository's test data by design.
     */
    public static Path optional(String relative) {
        Path p = clipTiny().resolve(relative);
        if (!Files.exists(p)) {
            String msg = "SKIPPED: " + p + " is not in the repository's test data (testdata/README.md);"
                    + " run with -Dclip.shared=<folder holding fixtures/clip-tiny/" + relative + "> to include it";
            System.err.println("!!! " + msg);
            Assumptions.abort(msg);
        }
        return p;
    }

    public static Path dataset(String name) {
        try (var files = Files.walk(shared().resolve("data/datasets"))) {
            // label maps share the image names (CamVid valannot/, ADE annotations/): take the image
            return files.filter(p -> p.getFileName().toString().equals(name))
                    .filter(p -> !p.toString().contains("annot")).findFirst()
                    .orElseThrow(() -> new AssertionError("fixture image " + name + " not found under " + shared()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static SafetensorsFile golden() {
        try {
            return SafetensorsFile.open(clipTiny().resolve("golden.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A golden {@code [H, W, 3]} uint8 RGB tensor as an image. */
    public static RgbImage goldenImage(SafetensorsFile golden, String key) throws IOException {
        Tensor t = golden.tensor(key);
        Assertions.assertEquals(3, t.rank(), key + " rank");
        Assertions.assertEquals(3, t.dim(2), key + " channels");
        return new RgbImage(t.dim(1), t.dim(0), t.data().toArray(ValueLayout.JAVA_BYTE));
    }

    /** Largest absolute element-wise difference; fails on a length mismatch. */
    public static float maxAbsDiff(float[] expected, float[] actual) {
        Assertions.assertEquals(expected.length, actual.length, "length");
        float m = 0;
        for (int i = 0; i < expected.length; i++) {
            float d = Math.abs(expected[i] - actual[i]);
            if (!(d <= m)) m = Float.isNaN(d) ? Float.NaN : d;
            if (Float.isNaN(m)) return m;
        }
        return m;
    }

    public static void assertClose(float[] expected, float[] actual, float tol, String what) {
        float d = maxAbsDiff(expected, actual);
        Assertions.assertTrue(d <= tol, what + ": max |diff| = " + d + " > " + tol);
    }
}
