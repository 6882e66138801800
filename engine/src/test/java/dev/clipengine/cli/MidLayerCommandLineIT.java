package dev.clipengine.cli;

import dev.clipengine.Fixtures;
import dev.clipengine.midlayer.ResClipSettings;
import dev.clipengine.segment.Profile;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.Raster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.clipengine.cli.MethodsCommandLineIT.runDirect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code segment --method scclip|resclip} through the real {@code engine.jar} on {@code clip-tiny12/methods/}: each
 * stored profile writes the reference label map wherever its margin decides (docs/mid-layer-methods.md). The
 * geometry (short side, window, stride) and the thresholds are read from the golden's metadata and passed as
 * options; ResCLIP's constants come from the named profile, which must equal the stored ones. Bad input (a tower of
 * the wrong depth) fails in one line with exit 2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MidLayerCommandLineIT {

    Path dir;
    SafetensorsFile golden;
    Map<?, ?> resize, slide, profiles;

    @BeforeAll
    void setUp() throws Exception {
        dir = Fixtures.clipTiny12();
        golden = SafetensorsFile.open(dir.resolve("methods/golden.safetensors"));
        resize = (Map<?, ?>) Json.parse(golden.metadata().get("resize"));
        slide = (Map<?, ?>) Json.parse(golden.metadata().get("slide"));
        profiles = (Map<?, ?>) Json.parse(golden.metadata().get("profiles"));
    }

    @AfterAll
    void tearDown() {
        if (golden != null) golden.close();
    }

    static String str(Object o) {
        return String.valueOf(((Number) o).floatValue());
    }

    List<String> args(String key, Path out) {
        Map<?, ?> p = (Map<?, ?>) profiles.get(key);
        String method = (String) p.get("method");
        String dataset = key.substring(key.lastIndexOf('.') + 1);
        List<String> a = new ArrayList<>(List.of("segment", "--model", dir.toString(), "--image",
                dir.resolve("methods/input.png").toString(), "--method", method, "--profile", method + "-" + dataset,
                "--size", String.valueOf(((Number) resize.get("short_side")).intValue()),
                "--logit-scale", str(p.get("logit_scale")), "--prob-thd", str(p.get("prob_thd")), "--out", out.toString(), "--json"));
        if (p.get("area_thd") != null) a.addAll(List.of("--area-thd", str(p.get("area_thd"))));
        if (p.get("inference").equals("whole")) {
            a.addAll(List.of("--crop", "0"));
        } else {
            Map<?, ?> w = (Map<?, ?>) slide.get(method);
            a.addAll(List.of("--crop", String.valueOf(w.get("crop")), "--stride", String.valueOf(w.get("stride"))));
        }
        if (method.equals("resclip")) {
            ResClipSettings s = Profile.named(method + "-" + dataset).resclip();
            List<?> rcs = (List<?>) p.get("rcs"), sfr = (List<?>) p.get("sfr");
            assertEquals(((Number) p.get("temp_thd")).floatValue(), s.tempThd(), key + " temp_thd");
            assertEquals(((Number) rcs.get(0)).floatValue(), s.rcsTau(), key + " RCS tau");
            assertEquals(((Number) rcs.get(1)).floatValue(), s.rcsLambda(), key + " RCS lambda");
            assertEquals(((Number) sfr.get(0)).floatValue(), s.sfrTau(), key + " SFR tau");
            assertEquals(((Number) sfr.get(1)).floatValue(), s.sfrLambda(), key + " SFR lambda");
        }
        return a;
    }

    @Test
    void eachProfileWritesTheReferenceLabelMap(@TempDir Path tmp) throws Exception {
        for (Object k : profiles.keySet()) {
            String key = (String) k;
            Path out = tmp.resolve(key);
            CommandLineIT.Result r = runDirect(args(key, out));
            assertEquals(0, r.code(), key + ": " + r.err());
            Map<?, ?> summary = (Map<?, ?>) Json.parse(r.out().strip());
            assertEquals(((Map<?, ?>) profiles.get(key)).get("method"), summary.get("method"));
            Raster png = ImageIO.read(out.resolve("input.labels.png").toFile()).getRaster();
            long[] pred = golden.tensor(key + ".pred").toLongArray();
            float[] margin = golden.tensor(key + ".margin").toFloatArray();
            int w = png.getWidth(), h = png.getHeight();
            assertEquals(pred.length, w * h, key + " size");
            int[] labels = png.getPixels(0, 0, w, h, (int[]) null);
            int ties = 0, differ = 0;
            for (int p = 0; p < pred.length; p++) {
                if (margin[p] >= 1e-4f) assertEquals(pred[p], labels[p], key + " at pixel " + p);
                else {
                    ties++;
                    if (pred[p] != labels[p]) differ++;
                }
            }
            System.out.printf("CLI %s: identical on %d decided pixels; %d near ties, %d differ%n", key, pred.length - ties, ties, differ);
        }
    }

    @Test
    void scclipRefusesWindowsTooSmallForItsOutlierScore(@TempDir Path tmp) throws Exception {
        // 64-pixel windows have 16 patches; the score needs each token's 30 nearest others
        CommandLineIT.Result r = CommandLineIT.run(List.of("segment", "--model", dir.toString(), "--image",
                dir.resolve("methods/input.png").toString(), "--method", "scclip", "--classes", "road, sky", "--size", "96",
                "--crop", "64", "--stride", "32", "--out", tmp.toString()));
        assertEquals(2, r.code(), r.err());
        assertFalse(r.err().contains("\n\tat "), r.err());
        assertTrue(r.err().contains("at least 31 patches") && r.err().contains("16"), r.err());
        assertFalse(r.err().contains("text features"), "refused before the text features: " + r.err());
    }

    @Test
    void aTowerOfAnotherDepthFailsInOneLine(@TempDir Path tmp) throws Exception {
        Path threeLayers = Fixtures.clipTiny().resolve("hf");
        for (String m : List.of("scclip", "resclip")) {
            CommandLineIT.Result r = CommandLineIT.run(List.of("segment", "--model", threeLayers.toString(), "--image",
                    dir.resolve("methods/input.png").toString(), "--method", m, "--classes", "road, sky", "--size", "96",
                    "--out", tmp.resolve(m).toString()));
            assertEquals(2, r.code(), m + ": " + r.err());
            String err = r.err().strip();
            assertFalse(err.contains("\n\tat "), "stack trace: " + err);
            assertTrue(err.contains("12-block") && err.contains("3 blocks"), err);
        }
    }
}
