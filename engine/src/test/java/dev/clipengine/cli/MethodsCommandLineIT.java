package dev.clipengine.cli;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.Raster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.clipengine.cli.CommandLineIT.concat;
import static dev.clipengine.cli.CommandLineIT.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training-free methods and {@code eval} through the real {@code engine.jar}: every method under both fixture
 * profiles on {@code methods/input.png} must write the reference label map (where the margin decides), {@code eval}
 * must score the ADE20K sample predictions and run a method over CamVid, and bad input gives one line and exit 2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MethodsCommandLineIT {

    static final String[] METHODS = {"vanilla", "maskclip", "maskclip-reduced", "sclip", "clearclip", "naclip"};

    Path tiny, methods;
    SafetensorsFile golden;

    @BeforeAll
    void setUp() throws Exception {
        tiny = Fixtures.clipTiny();
        methods = tiny.resolve("methods");
        golden = SafetensorsFile.open(methods.resolve("golden.safetensors"));
    }

    @AfterAll
    void tearDown() {
        if (golden != null) golden.close();
    }

    /**
     * The real jar with the Vector module on the command line, which skips the launcher's re-exec (half the start-up
     * time of each run); used for the successful runs, whose stderr may then carry the JDK's incubator warning.
     */
    static CommandLineIT.Result runDirect(List<String> args) throws Exception {
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).start();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "timed out: " + cmd);
        return new CommandLineIT.Result(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8),
                new String(err, java.nio.charset.StandardCharsets.UTF_8));
    }

    Path datasets() {
        return Fixtures.shared().resolve("data/datasets");
    }

    /**
     * Profile "sclip" of the fixtures is given by name (--profile sclip-voc21 sets 65 / 0.1 / 0.1 and the voc21 names)
     * with the fixture's small geometry; profile "naclip" by explicit options and the shared name file.
     */
    List<String> segmentArgs(String method, String profile, Path out) {
        List<String> a = new ArrayList<>(List.of("segment", "--model", tiny.resolve("hf").toString(), "--image",
                methods.resolve("input.png").toString(), "--method", method, "--size", "96", "--crop", "64", "--stride", "32",
                "--out", out.toString(), "--json"));
        if (profile.equals("sclip")) {
            a.addAll(List.of("--profile", "sclip-voc21"));
        } else {
            a.addAll(List.of("--protocol", "slide", "--classes-file",
                    Fixtures.shared().resolve("data/sclip-classnames/cls_voc21.txt").toString(), "--logit-scale", "40", "--prob-thd", "0.1"));
        }
        return a;
    }

    @Test
    void everyMethodWritesTheReferenceLabelMap(@TempDir Path tmp) throws Exception {
        record Case(String method, String profile) {
        }
        List<Case> cases = new ArrayList<>();
        for (String m : METHODS) for (String p : new String[] {"sclip", "naclip"}) cases.add(new Case(m, p));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<CommandLineIT.Result>> results = new ArrayList<>();
            for (Case c : cases) results.add(pool.submit(() -> runDirect(segmentArgs(c.method, c.profile, tmp.resolve(c.method + "-" + c.profile)))));
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                CommandLineIT.Result r = results.get(i).get();
                assertEquals(0, r.code(), c + ": " + r.err());
                Map<?, ?> summary = (Map<?, ?>) Json.parse(r.out().strip());
                assertEquals(c.method, summary.get("method"));
                assertEquals(6L, summary.get("windows"));
                Raster png = ImageIO.read(tmp.resolve(c.method + "-" + c.profile).resolve("input.labels.png").toFile()).getRaster();
                assertEquals(160, png.getWidth());
                assertEquals(120, png.getHeight());
                int[] labels = png.getPixels(0, 0, 160, 120, (int[]) null);
                String key = c.method + ".slide." + c.profile;
                long[] pred = golden.tensor(key + ".pred").toLongArray();
                float[] margin = golden.tensor(key + ".margin").toFloatArray();
                int ties = 0, differ = 0;
                for (int p = 0; p < pred.length; p++) {
                    if (margin[p] >= 1e-4f) assertEquals(pred[p], labels[p], key + " at pixel " + p);
                    else if (++ties > 0 && pred[p] != labels[p]) differ++;
                }
                System.out.printf("CLI %s: %d near-tie pixels, %d differ%n", key, ties, differ);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void evalScoresTheAdeSamplePredictions(@TempDir Path tmp) throws Exception {
        Path ade = datasets().resolve("ade20k-sample");
        CommandLineIT.Result r = run(List.of("eval", "--dataset", "ade", "--data", ade.toString(), "--predictions",
                ade.resolve("sampleData/predictions").toString(), "--predictions-format", "dataset", "--out", tmp.toString()));
        assertEquals(0, r.code(), r.err());
        Map<?, ?> j = (Map<?, ?>) Json.parse(Files.readString(tmp.resolve("metrics.json")));
        assertEquals(3L, j.get("images"));
        // the sample's predictions are its annotations: every scored pixel is right
        Map<?, ?> standard = (Map<?, ?>) j.get("standard");
        assertEquals(100.0, ((Number) standard.get("mIoU")).doubleValue(), 1e-9);
        assertEquals(100.0, ((Number) standard.get("pAcc")).doubleValue(), 1e-9);
        assertTrue(r.out().contains("| standard (mmseg) | 100.00 | 100.00 | 100.00 | 100.00 |"), r.out());
        assertEquals(Files.readString(tmp.resolve("metrics.md")), r.out());
    }

    @Test
    void evalRunsAMethodOverCamvidDeterministically(@TempDir Path tmp) throws Exception {
        Path camvid = datasets().resolve("camvid-val");
        List<String> base = List.of("eval", "--dataset", "camvid", "--data", camvid.toString(), "--model", tiny.resolve("hf").toString(),
                "--method", "sclip", "--size", "96", "--limit", "3");
        CommandLineIT.Result a = runDirect(concat(base, "--jobs", "2", "--out", tmp.resolve("a").toString(), "--save-predictions",
                tmp.resolve("pred").toString()));
        assertEquals(0, a.code(), a.err());
        assertTrue(a.err().contains("eval: 3/3"), a.err());
        CommandLineIT.Result b = runDirect(concat(base, "--jobs", "1", "--out", tmp.resolve("b").toString()));
        assertEquals(0, b.code(), b.err());
        Map<?, ?> ja = (Map<?, ?>) Json.parse(Files.readString(tmp.resolve("a/metrics.json")));
        Map<?, ?> jb = (Map<?, ?>) Json.parse(Files.readString(tmp.resolve("b/metrics.json")));
        assertEquals(3L, ja.get("images"));
        assertEquals(ja.get("standard"), jb.get("standard"), "--jobs does not change the result");
        assertEquals(ja.get("reference"), jb.get("reference"));
        // the written maps, scored again, give the same metrics
        CommandLineIT.Result c = runDirect(List.of("eval", "--dataset", "camvid", "--data", camvid.toString(), "--limit", "3",
                "--predictions", tmp.resolve("pred").toString(), "--out", tmp.resolve("c").toString()));
        assertEquals(0, c.code(), c.err());
        Map<?, ?> jc = (Map<?, ?>) Json.parse(Files.readString(tmp.resolve("c/metrics.json")));
        assertEquals(ja.get("standard"), jc.get("standard"));
    }

    @Test
    void evalRunsCliptraseWithTheMapsSegmentWrites(@TempDir Path tmp) throws Exception {
        Path camvid = datasets().resolve("camvid-val");
        String model = tiny.resolve("hf").toString();
        CommandLineIT.Result e = runDirect(List.of("eval", "--dataset", "camvid", "--data", camvid.toString(), "--model", model,
                "--method", "cliptrase", "--size", "128", "--limit", "2", "--out", tmp.resolve("m").toString(),
                "--save-predictions", tmp.resolve("pred").toString()));
        assertEquals(0, e.code(), e.err());
        Map<?, ?> j = (Map<?, ?>) Json.parse(Files.readString(tmp.resolve("m/metrics.json")));
        assertEquals(2L, j.get("images"));
        assertEquals("cliptrase", j.get("method"));
        // eval's maps are segment --protocol full's maps (CamVid has no background class, so no relabelling)
        try (var ids = Files.list(tmp.resolve("pred"))) {
            List<Path> preds = ids.sorted().toList();
            assertEquals(2, preds.size());
            for (Path p : preds) {
                String id = p.getFileName().toString().replace(".png", "");
                Path image = camvid.resolve("val").resolve(id + ".png");
                CommandLineIT.Result s = runDirect(List.of("segment", "--model", model, "--image", image.toString(),
                        "--protocol", "full", "--size", "128", "--classes", camvidClasses(j), "--out", tmp.resolve("seg").toString()));
                assertEquals(0, s.code(), s.err());
                assertEquals(pixels(p), pixels(tmp.resolve("seg").resolve(id + ".labels.png")), id);
            }
        }
    }

    /** The class names eval used, from its report ("index name" keys), as a --classes list. */
    private static String camvidClasses(Map<?, ?> metrics) {
        Map<?, ?> perClass = (Map<?, ?>) ((Map<?, ?>) metrics.get("standard")).get("per_class");
        List<String> names = new java.util.ArrayList<>();
        for (Object key : perClass.keySet()) names.add(((String) key).substring(((String) key).indexOf(' ') + 1));
        return String.join(",", names);
    }

    private static List<Integer> pixels(Path png) throws java.io.IOException {
        var img = javax.imageio.ImageIO.read(png.toFile());
        List<Integer> out = new java.util.ArrayList<>();
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) out.add(img.getRaster().getSample(x, y, 0));
        return out;
    }

    @Test
    void badInputGivesOneLineAndExitCode2(@TempDir Path tmp) throws Exception {
        // blank lines are skipped in the one --classes-file syntax (docs/pipeline.md); an empty synonym is refused
        Path emptyLine = Files.writeString(tmp.resolve("names.txt"), "sky, , wall\ncar\n");
        String model = tiny.resolve("hf").toString(), image = methods.resolve("input.png").toString(), out = tmp.resolve("o").toString();
        List<String> seg = List.of("segment", "--model", model, "--image", image, "--out", out);
        Path camvid = datasets().resolve("camvid-val");
        List<List<String>> cases = List.of(
                concat(seg, "--method", "segformer", "--vocabulary", "voc21"),
                concat(seg, "--profile", "sclip-kitti"),
                concat(seg, "--method", "sclip", "--vocabulary", "voc21", "--crop", "64", "--stride", "96"),
                concat(seg, "--method", "naclip", "--classes-file", emptyLine.toString()),
                concat(seg, "--method", "sclip", "--vocabulary", "voc21", "--eps", "1.0"),
                concat(seg, "--vocabulary", "VOC20", "--crop", "224"),
                List.of("eval", "--dataset", "kitti", "--data", camvid.toString(), "--model", model, "--method", "sclip"),
                List.of("eval", "--dataset", "camvid", "--data", camvid.toString(), "--predictions", tmp.resolve("none").toString()),
                List.of("eval", "--dataset", "camvid", "--data", camvid.toString(), "--model", model, "--size", "100"));
        for (List<String> c : cases) {
            CommandLineIT.Result r = run(c);
            assertEquals(2, r.code(), c + " -> " + r.err());
            String err = r.err().strip();
            assertEquals(1, err.lines().count(), c + " printed more than one line:\n" + err);
            assertTrue(err.startsWith("error: "), err);
            assertFalse(err.contains("Exception"), c + " leaked an exception name: " + err);
            assertEquals("", r.out(), c + " wrote to stdout");
        }
    }
}
