package dev.clipengine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 18 finding 12: a missing input folder, a pattern that matches nothing, or a master URL Spark cannot
 * parse is one line and exit 2 before Spark starts (it used to cost ~19 s of start-up, and a bad master
 * printed Spark's ERROR log and "internal error"). Whether a Spark context was started is observed
 * through {@code spark.extraListeners}: Spark instantiates that listener in every context it starts.
 */
class StartUpChecksTest {

    /** Counts the Spark contexts started while it is named in {@code spark.extraListeners}. */
    public static final class Started extends SparkListener {
        static final AtomicInteger CONTEXTS = new AtomicInteger();

        public Started() {
            CONTEXTS.incrementAndGet();
        }
    }

    @TempDir
    Path tmp;

    @Test
    void badInputsAndMastersAreOneLineBeforeSparkStarts() throws Exception {
        Assumptions.assumeTrue(SparkSession.getDefaultSession().isEmpty(),
                "SKIPPED: a Spark session of another test is still open; with one, no new Spark would start anyway");
        String model = SparkFixtures.tinyModel().toString();
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.copy(SparkFixtures.camvid(SparkSegmentTest.IMAGES[0]), in.resolve("a.png"));
        String out = tmp.resolve("out").toString();
        List<List<String>> cases = List.of(
                List.of("segment", "--master", "local[1]", "--model", model, "--input", tmp.resolve("no-such-folder").toString(), "--out", out, "--classes", "car"),
                List.of("segment", "--master", "local[1]", "--model", model, "--input", tmp.resolve("nothing-*.png").toString(), "--out", out, "--classes", "car"),
                List.of("segment", "--master", "foo", "--model", model, "--input", in.toString(), "--out", out, "--classes", "car"),
                List.of("segment", "--master", "local[two]", "--model", model, "--input", in.toString(), "--out", out, "--classes", "car"));
        System.setProperty("spark.extraListeners", Started.class.getName());
        try {
            for (List<String> c : cases) {
                StringWriter err = new StringWriter();
                CommandLine cl = SparkCli.newCommandLine();
                cl.setErr(new PrintWriter(err, true));
                long t0 = System.nanoTime();
                int code = cl.execute(c.toArray(String[]::new));
                String text = err.toString().strip();
                assertEquals(2, code, c + " -> " + text);
                assertEquals(1, text.lines().count(), c + ": " + text);
                assertTrue(text.startsWith("error: "), text);
                assertFalse(text.contains("internal error"), text);
                assertTrue(c.contains("foo") || c.contains("local[two]") ? text.contains("not a Spark master URL") : text.contains(tmp.toString()), text);
                assertEquals(0, Started.CONTEXTS.get(), c + ": no Spark context was started");
                assertTrue((System.nanoTime() - t0) / 1e9 < 30, c + " took " + (System.nanoTime() - t0) / 1e9 + " s");
            }
        } finally {
            System.clearProperty("spark.extraListeners");
        }
    }
}
