package dev.clipengine.spark;

import dev.clipengine.cli.ClipCli;
import dev.clipengine.weights.Json;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spark job in local mode, through its command line, against engine.jar's single-machine
 * {@code segment} on the same images and options. One Spark session for the class (the command runs in
 * it, as in a notebook); the tiny fixture model keeps the whole class to seconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SparkSegmentTest {

    static final String[] IMAGES = {"0016E5_07959", "0016E5_07961", "0016E5_07963", "0016E5_07965"};
    /** Non-default options, so that they visibly travel from the command line to the executors. */
    static final List<String> OPTIONS = List.of("--classes", "road, car, sky, tree, building", "--background", "wall,fence",
            "--size", "128", "--protocol", "full", "--eps", "0.5", "--min-samples", "3");

    SparkSession spark;
    Path tmp, in, out, single;
    /** Models this JVM loaded before this class (other test classes share the JVM and its model cache). */
    int loadsBefore;

    @BeforeAll
    void start() throws IOException {
        Path model = SparkFixtures.tinyModel();
        assertTrue(Files.isDirectory(model));
        loadsBefore = ModelCache.loads();
        tmp = Files.createTempDirectory("spark-segment-test");
        in = Files.createDirectories(tmp.resolve("in"));
        for (String s : IMAGES) Files.copy(SparkFixtures.camvid(s), in.resolve(s + ".png"));
        Files.writeString(in.resolve("notes.png"), "these are notes, not an image\n");   // an unreadable input
        Files.writeString(in.resolve("readme.txt"), "not an image name: a folder input skips it, as segment does\n");
        out = tmp.resolve("out");
        single = tmp.resolve("single");
        spark = SparkSession.builder().master("local[2]").appName("SparkSegmentTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    void stop() throws IOException {
        if (spark != null) spark.stop();
        if (tmp != null) {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    record Result(int code, String err) {
    }

    static Result run(List<String> args) {
        StringWriter err = new StringWriter();
        CommandLine cl = SparkCli.newCommandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args.toArray(String[]::new));
        return new Result(code, err.toString());
    }

    List<String> sparkArgs(String... extra) {
        List<String> a = new ArrayList<>(List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(),
                "--out", out.toString()));
        a.addAll(OPTIONS);
        a.addAll(List.of(extra));
        return a;
    }

    Map<String, Row> table(String format) {
        Dataset<Row> df = format.equals("json") ? spark.read().json(out.resolve("results.jsonl").toString())
                : spark.read().parquet(out.resolve("results.parquet").toString());
        Map<String, Row> byStem = new HashMap<>();
        for (Row r : df.collectAsList()) {
            String path = r.getAs("path");
            assertNull(byStem.put(InputListing.stem(path), r), "one row per input: " + path);
        }
        return byStem;
    }

    @Test
    @Order(1)
    void labelMapsEqualSingleMachineSegmentAndTheTableHasOneRowPerInput() throws Exception {
        Result r = run(sparkArgs("--overlays"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("4 segmented, 0 resumed, 1 errors"), r.err());
        // issue 18 finding 12: the summary names the failed input, not only counts it
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("segment-spark: failed: cannot read image ") && l.contains("notes.png")
                && l.contains("not a supported image")), r.err());

        List<String> one = new ArrayList<>(List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--out", single.toString(), "--image"));
        for (String s : IMAGES) one.add(in.resolve(s + ".png").toString());
        one.addAll(OPTIONS);
        assertEquals(0, ClipCli.run(one.toArray(String[]::new)));

        for (String s : IMAGES) {
            Path mine = out.resolve("labels/" + s + ".labels.png"), theirs = single.resolve(s + ".labels.png");
            assertEquals(-1L, Files.mismatch(mine, theirs), s + ": label PNG differs from engine.jar segment's");
            assertEquals(-1L, Files.mismatch(out.resolve("overlays/" + s + ".overlay.png"), single.resolve(s + ".overlay.png")), s + " overlay");
        }

        Map<String, Row> rows = table("parquet");
        assertEquals(IMAGES.length + 1, rows.size(), "one row per input (readme.txt is not an input)");
        Row bad = rows.get("notes");
        assertNotNull(bad);
        String error = bad.getAs("error");
        assertNotNull(error, "the unreadable input's row has an error");
        assertTrue(error.startsWith("cannot read image file:") && error.contains("notes.png") && error.contains("not a supported image"), error);
        assertFalse(error.contains("\n"), error);
        assertTrue(bad.isNullAt(bad.fieldIndex("labels")));
        assertFalse(Files.exists(out.resolve("labels/notes.labels.png")));

        String pid = "(pid " + ProcessHandle.current().pid() + ")";
        for (String s : IMAGES) {
            Row row = rows.get(s);
            assertNull(row.getAs("error"), s);
            Map<?, ?> summary = (Map<?, ?>) Json.parse(Files.readString(single.resolve(s + ".json")));
            assertEquals(((Number) summary.get("width")).intValue(), (int) row.getAs("width"), s);
            assertEquals(((Number) summary.get("height")).intValue(), (int) row.getAs("height"), s);
            assertEquals(480, (int) row.getAs("image_width"));
            assertEquals(360, (int) row.getAs("image_height"));
            assertEquals(((Number) summary.get("clusters")).intValue(), (int) row.getAs("clusters"), s);
            assertEquals(((Number) summary.get("noise_patches")).intValue(), (int) row.getAs("noise_patches"), s);
            Map<String, Double> fractions = row.getJavaMap(row.fieldIndex("class_fractions"));
            Map<?, ?> expected = (Map<?, ?>) summary.get("class_fractions");
            assertEquals(expected.keySet(), fractions.keySet(), s);
            for (var e : expected.entrySet()) assertEquals(((Number) e.getValue()).doubleValue(), fractions.get(e.getKey()), 1e-12, s);
            assertEquals(List.copyOf(expected.keySet()), row.getList(row.fieldIndex("classes_present")), s + ": classes present, largest first");
            Map<String, Double> timings = row.getJavaMap(row.fieldIndex("timings_ms"));
            assertTrue(timings.keySet().containsAll(List.of("read", "decode", "network", "dbscan", "total", "write")), timings.toString());
            assertEquals(out.resolve("labels/" + s + ".labels.png").toUri().getPath(), java.net.URI.create(row.getAs("labels")).getPath());
            String worker = row.getAs("worker");
            assertTrue(worker.endsWith(pid), worker);
            assertFalse((boolean) row.getAs("resumed"));
            assertTrue(Files.exists(out.resolve("rows/" + s + ".json")));
        }
        // the driver's load (for the text features) is this JVM's only one: every task reused it
        assertEquals(1, ModelCache.loads() - loadsBefore, "model loads in this JVM");
        try (Stream<Path> files = Files.walk(out)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp") || f.getFileName().toString().startsWith("_results")).toList(),
                    "no temporary files left");
        }
        // issue 18 finding 7: outputs have the mode this JVM's umask gives any new file (Java cannot read
        // the umask: a probe made by Files.createFile without attributes shows it), not createTempFile's 0600
        String umaskMode = java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(Files.createFile(tmp.resolve("umask-probe"))));
        for (String s : IMAGES) {
            for (Path f : List.of(out.resolve("labels/" + s + ".labels.png"), out.resolve("overlays/" + s + ".overlay.png"),
                    out.resolve("rows/" + s + ".json"), out.resolve("results.parquet"))) {
                assertEquals(umaskMode, java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
    }

    @Test
    @Order(2)
    void resumeSkipsFinishedInputsAndRetriesFailedOnes() throws Exception {
        Map<String, FileTime> before = new HashMap<>();
        for (String s : IMAGES) before.put(s, Files.getLastModifiedTime(out.resolve("labels/" + s + ".labels.png")));
        Map<String, Row> first = table("parquet");
        Files.delete(out.resolve("rows/" + IMAGES[0] + ".json"));   // as if the first run died before finishing this one
        Thread.sleep(20);

        Result r = run(sparkArgs("--overlays", "--resume", "--format", "json"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("1 segmented, 3 resumed, 1 errors"), r.err());
        Map<String, Row> rows = table("json");
        assertEquals(IMAGES.length + 1, rows.size());
        assertTrue(((String) rows.get("notes").getAs("error")).contains("not a supported image"), "the failed input was tried again");
        assertTrue((boolean) rows.get(IMAGES[0]).getAs("resumed") == false);
        for (int i = 1; i < IMAGES.length; i++) {
            String s = IMAGES[i];
            assertTrue((boolean) rows.get(s).getAs("resumed"), s);
            assertEquals(before.get(s), Files.getLastModifiedTime(out.resolve("labels/" + s + ".labels.png")), s + " was not written again");
            assertEquals((int) first.get(s).getAs("clusters"), ((Number) rows.get(s).getAs("clusters")).intValue(), s + ": its row came back");
        }
        assertEquals(1, ModelCache.loads() - loadsBefore, "a second job in the same JVM loads nothing");
        // issue 18 finding 12: the parquet table of the first run would read as this run's results
        assertFalse(Files.exists(out.resolve("results.parquet")), "the other format's table is removed");
        assertTrue(Files.exists(out.resolve("results.jsonl")));
    }

    /**
     * Issue 13: the Spark job runs every method, the same way as segment. A slide method (SCLIP, with synonyms and
     * background words, several windows) gives byte-identical maps and overlays to engine.jar segment's.
     */
    @Test
    @Order(7)
    void aSlideMethodGivesTheSameMapsAsSegment() throws Exception {
        List<String> options = List.of("--method", "sclip", "--classes", "road, car|automobile|van, sky, tree, building",
                "--background", "wall,fence", "--size", "96", "--crop", "64", "--stride", "48", "--logit-scale", "50");
        Path sparkOut = tmp.resolve("out-sclip"), singleOut = tmp.resolve("single-sclip");
        List<String> args = new ArrayList<>(List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(),
                "--out", sparkOut.toString(), "--overlays", "--format", "json", "--partitions", "3"));
        args.addAll(options);
        Result r = run(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("method sclip"), r.err());
        assertTrue(r.err().contains("4 segmented, 0 resumed, 1 errors"), r.err());

        List<String> one = new ArrayList<>(List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--out", singleOut.toString()));
        for (String s : IMAGES) one.add(in.resolve(s + ".png").toString());
        one.addAll(options);
        assertEquals(0, ClipCli.run(one.toArray(String[]::new)));
        for (String s : IMAGES) {
            assertEquals(-1L, Files.mismatch(sparkOut.resolve("labels/" + s + ".labels.png"), singleOut.resolve(s + ".labels.png")),
                    s + ": sclip label PNG differs from engine.jar segment's");
            assertEquals(-1L, Files.mismatch(sparkOut.resolve("overlays/" + s + ".overlay.png"), singleOut.resolve(s + ".overlay.png")),
                    s + ": sclip overlay differs");
            Map<?, ?> summary = (Map<?, ?>) Json.parse(Files.readString(singleOut.resolve(s + ".json")));
            assertEquals("sclip", summary.get("method"));
            assertEquals(List.of("road", "car", "sky", "tree", "building", "background"), summary.get("classes"));
            assertTrue(((Number) summary.get("windows")).intValue() > 1, "several windows: " + summary.get("windows"));
            Map<?, ?> row = (Map<?, ?>) Json.parse(Files.readString(sparkOut.resolve("rows/" + s + ".json")));
            assertEquals(summary.get("class_fractions"), row.get("class_fractions"), s);
            assertNull(row.get("clusters"), "slide methods do not cluster");
        }
    }

    @Test
    @Order(3)
    void badInputIsOneLineAndExit2() {
        List<List<String>> cases = List.of(
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--out", out.toString(), "--vocabulary", "VOC99"),
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", tmp.resolve("missing").toString(), "--out", out.toString(), "--classes", "car"),
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", tmp.resolve("nothing-*.png").toString(), "--out", out.toString(), "--classes", "car"),
                List.of("segment", "--model", tmp.resolve("no-model").toString(), "--input", in.toString(), "--out", out.toString(), "--classes", "car"),
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--out", out.toString(), "--classes", "car", "--size", "100"),
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--out", out.toString(), "--classes", "car", "--format", "csv"),
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--out", out.toString(), "--classes", "car", "--image", "x.png"),
                // another method's protocol options are refused, as segment refuses them, not silently ignored
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--out", out.toString(), "--classes", "car", "--method", "sclip", "--eps", "0.5"),
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--out", out.toString(), "--classes", "car", "--crop", "64"),
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--out", out.toString(), "--classes", "car", "--method", "nope"),
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--out", out.toString()),
                // issue 18 findings 3 and 12: a typo after the inputs, a master URL Spark cannot parse
                List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--clases", "car", "--out", out.toString()),
                List.of("segment", "--master", "lokal[2]", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--out", out.toString(), "--classes", "car"),
                List.of("segment", "--master", "local[0]", "--model", SparkFixtures.tinyModel().toString(), "--input", in.toString(), "--out", out.toString(), "--classes", "car"));
        for (List<String> c : cases) {
            Result r = run(c);
            assertEquals(2, r.code(), c + " -> " + r.err());
            String err = r.err().strip();
            assertEquals(1, err.lines().count(), c + " printed more than one line:\n" + err);
            assertTrue(err.startsWith("error: "), err);
            assertFalse(err.contains("internal error"), err);
        }
    }

    @Test
    @Order(4)
    void aListFileAndAGlobNameTheirInputs() throws Exception {
        Path list = Files.writeString(tmp.resolve("inputs.txt"), "# two images and a missing file\nin/" + IMAGES[1] + ".png\n\n"
                + in.resolve(IMAGES[2] + ".png") + "\nin/gone.png\n");
        Path out2 = tmp.resolve("out2");
        List<String> args = new ArrayList<>(List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", list.toString(),
                in.resolve("*65.png").toString(), "--out", out2.toString(), "--format", "json"));
        args.addAll(OPTIONS);
        Result r = run(args);
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(out2.resolve("results.jsonl"));
        assertEquals(4, lines.size(), String.join("\n", lines));
        Map<String, Map<?, ?>> byStem = new HashMap<>();
        for (String l : lines) {
            Map<?, ?> m = (Map<?, ?>) Json.parse(l);
            byStem.put(InputListing.stem((String) m.get("path")), m);
        }
        assertEquals(java.util.Set.of(IMAGES[1], IMAGES[2], IMAGES[3], "gone"), byStem.keySet());
        assertTrue(((String) byStem.get("gone").get("error")).endsWith("gone.png: no such file"), (String) byStem.get("gone").get("error"));
        assertTrue(byStem.get("gone").containsKey("width"), "json rows keep null columns");
        for (int i = 1; i < IMAGES.length; i++) {
            assertEquals(-1L, Files.mismatch(out2.resolve("labels/" + IMAGES[i] + ".labels.png"), single.resolve(IMAGES[i] + ".labels.png")));
        }
    }

    @Test
    @Order(5)
    void aRemoteFileSystemTakesTheSameOutputs() throws Exception {
        spark.sparkContext().hadoopConfiguration().set("fs." + LocalAsRemoteFs.SCHEME + ".impl", LocalAsRemoteFs.class.getName());
        Path out3 = tmp.resolve("out3");
        List<String> args = new ArrayList<>(List.of("segment", "--model", SparkFixtures.tinyModel().toString(),
                "--input", LocalAsRemoteFs.SCHEME + "://" + in, "--out", LocalAsRemoteFs.SCHEME + "://" + out3, "--overlays"));
        args.addAll(OPTIONS);
        Result r = run(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("4 segmented, 0 resumed, 1 errors"), r.err());
        for (String s : IMAGES) {
            assertEquals(-1L, Files.mismatch(out3.resolve("labels/" + s + ".labels.png"), single.resolve(s + ".labels.png")), s);
            assertEquals(-1L, Files.mismatch(out3.resolve("overlays/" + s + ".overlay.png"), single.resolve(s + ".overlay.png")), s);
        }
        List<Row> rows = spark.read().parquet(out3.resolve("results.parquet").toString()).collectAsList();
        assertEquals(IMAGES.length + 1, rows.size());
        for (Row row : rows) assertTrue(((String) row.getAs("path")).startsWith(LocalAsRemoteFs.SCHEME + ":/"), (String) row.getAs("path"));
        try (Stream<Path> files = Files.walk(out3)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp") || f.getFileName().toString().startsWith("_results")).toList(),
                    "no temporary files left");
        }
    }

    /**
     * Issue 18 finding 12: {@code --resume} with every input done loads no model and computes no text features
     * (a copy of the model at another path would be a new load in this JVM's cache), and a parquet run
     * replaces the json table of the previous one.
     */
    @Test
    @Order(6)
    void resumeWithEverythingDoneLoadsNothing() throws Exception {
        Path in6 = Files.createDirectories(tmp.resolve("in6")), out6 = tmp.resolve("out6");
        for (int i = 0; i < 2; i++) Files.copy(SparkFixtures.camvid(IMAGES[i]), in6.resolve(IMAGES[i] + ".png"));
        List<String> args = new ArrayList<>(List.of("segment", "--model", SparkFixtures.tinyModel().toString(), "--input", in6.toString(),
                "--out", out6.toString(), "--format", "json"));
        args.addAll(OPTIONS);
        Result r = run(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("2 segmented, 0 resumed, 0 errors"), r.err());
        assertFalse(r.err().contains("failed:"), r.err());

        Path copy = Files.createDirectories(tmp.resolve("model-copy"));
        try (Stream<Path> files = Files.list(SparkFixtures.tinyModel())) {
            for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
        }
        int loads = ModelCache.loads();
        args = new ArrayList<>(List.of("segment", "--model", copy.toString(), "--input", in6.toString(), "--out", out6.toString(), "--resume"));
        args.addAll(OPTIONS);
        r = run(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("0 segmented, 2 resumed, 0 errors"), r.err());
        assertTrue(r.err().contains("every input done by an earlier run (--resume): no model load, no text features"), r.err());
        assertEquals(loads, ModelCache.loads(), "no model loaded, on the driver or in a task");
        assertTrue(Files.exists(out6.resolve("results.parquet")));
        assertFalse(Files.exists(out6.resolve("results.jsonl")), "the other format's table is removed");
        assertEquals(2, spark.read().parquet(out6.resolve("results.parquet").toString()).count());
    }
}
