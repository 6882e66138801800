package dev.clipengine.spark;

import dev.clipengine.cli.ClipCli;
import dev.clipengine.weights.Json;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13: the Spark job in local mode segments with {@code --method resclip} (docs/mid-layer-methods.md), and its
 * maps are byte for byte those of engine.jar's {@code segment} with the same options: ResCLIP's profile constants, its
 * first pass with PAMR per window, and the optional PAMR post-processing travel to the executors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SparkMidLayerTest {

    SparkSession spark;
    Path tmp, in, model;

    @BeforeAll
    void start() throws IOException {
        Path shared = SparkFixtures.shared();
        model = shared.resolve("fixtures/clip-tiny12");
        if (!Files.isDirectory(model)) {
            String msg = "FIXTURES MISSING: " + model + " (the 12-layer tiny CLIP, testdata/README.md)";
            System.err.println("!!! " + msg);
            Assumptions.abort(msg);
        }
        tmp = Files.createTempDirectory("spark-midlayer-test");
        in = Files.createDirectories(tmp.resolve("in"));
        Files.copy(model.resolve("methods/input.png"), in.resolve("frame.png"));
        Files.copy(SparkFixtures.camvid("0016E5_07961"), in.resolve("0016E5_07961.png"));
        spark = SparkSession.builder().master("local[2]").appName("SparkMidLayerTest")
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

    @Test
    void resclipGivesTheSameMapsAsSegment() throws Exception {
        List<String> options = List.of("--method", "resclip", "--profile", "resclip-voc21", "--size", "96", "--crop", "64",
                "--stride", "32", "--pamr");
        Path sparkOut = tmp.resolve("out"), singleOut = tmp.resolve("single");
        List<String> args = new ArrayList<>(List.of("segment", "--model", model.toString(), "--input", in.toString(),
                "--out", sparkOut.toString(), "--format", "json", "--partitions", "2"));
        args.addAll(options);
        SparkSegmentTest.Result r = SparkSegmentTest.run(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("2 segmented, 0 resumed, 0 errors"), r.err());

        List<String> one = new ArrayList<>(List.of("segment", "--model", model.toString(), "--out", singleOut.toString()));
        for (String s : List.of("frame", "0016E5_07961")) one.add(in.resolve(s + ".png").toString());
        one.addAll(options);
        assertEquals(0, ClipCli.run(one.toArray(String[]::new)));
        for (String s : List.of("frame", "0016E5_07961")) {
            assertEquals(-1L, Files.mismatch(sparkOut.resolve("labels/" + s + ".labels.png"), singleOut.resolve(s + ".labels.png")),
                    s + ": resclip label PNG differs from engine.jar segment's");
            Map<?, ?> summary = (Map<?, ?>) Json.parse(Files.readString(singleOut.resolve(s + ".json")));
            assertEquals("resclip", summary.get("method"));
            assertTrue(((Number) summary.get("windows")).intValue() > 1, "several windows: " + summary.get("windows"));
            assertTrue(summary.containsKey("pamr"), summary.toString());
            Map<?, ?> row = (Map<?, ?>) Json.parse(Files.readString(sparkOut.resolve("rows/" + s + ".json")));
            assertEquals(summary.get("class_fractions"), row.get("class_fractions"), s);
        }
    }
}
