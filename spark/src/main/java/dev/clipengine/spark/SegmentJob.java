package dev.clipengine.spark;

import dev.clipengine.segment.MethodOptions;
import dev.clipengine.segment.Vocabulary;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

/**
 * The driver's side of {@code segment} on Spark: list the inputs, compute the class text features once
 * and broadcast them, run one {@link SegmentPartition} per partition, and write the results table.
 */
public final class SegmentJob {

    /** What to run: the command line's options, parsed. */
    public record Config(String master, List<String> inputs, String out, String format, boolean resume, boolean overlays,
                         Integer partitions, String model, Integer visionHeads, Integer textHeads, MethodOptions options,
                         Vocabulary vocabulary, boolean exif) {
    }

    /**
     * What happened: counts over all inputs, the wall time of the distributed part, where the table is, and
     * the first {@link #NAMED_FAILURES} failed inputs ("path: why", by path).
     */
    public record Summary(int inputs, long segmented, long resumed, long errors, double seconds, String table, List<String> failed) {
    }

    /** Failed inputs the summary names; the rest are counted (the table's error column holds them all). */
    static final int NAMED_FAILURES = 10;

    /** The inputs, listed and checked before Spark starts, and whether an earlier run left nothing to do. */
    record Plan(List<String> inputs, Path out, boolean allDone) {
    }

    private SegmentJob() {
    }

    /** Runs in the current Spark session when there is one (tests, notebooks), else in a new one stopped at the end. */
    public static Summary run(Config c, PrintWriter err) throws IOException {
        SparkConf conf = new SparkConf();
        if (c.master() != null) checkMaster(c.master());
        // a missing model is said at once, before Spark starts, unless spark-submit --files ships it
        String modelName = java.nio.file.Path.of(c.model()).getFileName().toString();
        if (!Files.exists(java.nio.file.Path.of(c.model())) && !conf.get("spark.files", "").contains(modelName)) {
            throw new NoSuchFileException(c.model());
        }
        jdkCheck(err);
        var existing = SparkSession.getDefaultSession();
        // inputs and output folder checked before Spark starts (that takes seconds to tens of seconds):
        // a mistyped folder is one line at once
        Plan plan = plan(c, existing.isDefined() ? existing.get().sparkContext().hadoopConfiguration() : hadoopConfiguration(conf));
        if (existing.isDefined()) return run(existing.get(), c, plan, err);
        SparkSession.Builder b = SparkSession.builder().appName("clip-engine segment");
        if (c.master() != null) b.master(c.master());
        else if (!conf.contains("spark.master")) b.master("local[*]");
        String master = c.master() != null ? c.master() : conf.get("spark.master", "local[*]");
        // executors in their own JVMs (local-cluster, standalone) fetch the engine from this jar; spark-submit sets it itself
        String ownJar = ownJar();
        if (!conf.contains("spark.jars") && ownJar != null && !master.startsWith("local[") && !master.equals("local")) b.config("spark.jars", ownJar);
        SparkSession spark;
        try {
            spark = b.getOrCreate();
        } catch (RuntimeException e) {
            // Spark's own exception (SparkException, not an IOException) would read "internal error"
            throw new IllegalStateException("cannot start Spark on " + master + ": " + e.getMessage(), e);
        }
        try {
            return run(spark, c, plan, err);
        } finally {
            spark.stop();
        }
    }

    /** Runs in {@code spark} (a test's or a notebook's session). */
    static Summary run(SparkSession spark, Config c, PrintWriter err) throws IOException {
        return run(spark, c, plan(c, spark.sparkContext().hadoopConfiguration()), err);
    }

    /**
     * Spark's master URL forms (SparkContext's own patterns), checked before Spark starts: Spark refuses a
     * malformed one only after its start-up, with an ERROR log and a stack trace.
     */
    static void checkMaster(String master) {
        String m = master.strip();
        boolean ok = m.equals("local") || m.matches("local\\[(\\*|[1-9][0-9]*)(\\s*,\\s*[0-9]+)?]")
                || m.matches("local-cluster\\[\\s*[1-9][0-9]*\\s*,\\s*[1-9][0-9]*\\s*,\\s*[1-9][0-9]*\\s*]")
                || m.matches("spark://\\S+") || m.equals("yarn") || m.matches("k8s://\\S+");
        if (!ok) {
            throw new IllegalArgumentException("--master '" + master + "' is not a Spark master URL (expected local, local[N], local[*], "
                    + "local-cluster[W,C,MB], spark://HOST:PORT, yarn or k8s://URL)");
        }
    }

    /**
     * Hadoop's configuration as Spark will build it for the driver: the class path's {@code *-site.xml}
     * files plus {@code spark.hadoop.*} from the Spark configuration, enough to list the inputs before
     * Spark starts.
     */
    static Configuration hadoopConfiguration(SparkConf conf) {
        Configuration hadoop = new Configuration();
        for (scala.Tuple2<String, String> kv : conf.getAllWithPrefix("spark.hadoop.")) hadoop.set(kv._1(), kv._2());
        return hadoop;
    }

    /** Lists and checks the inputs, makes the output folders, and looks whether {@code --resume} leaves anything to do. */
    static Plan plan(Config c, Configuration hadoop) throws IOException {
        List<String> inputs = InputListing.expand(c.inputs(), hadoop);
        InputListing.checkStems(inputs);
        Path out = new Path(c.out());
        FileSystem fs = out.getFileSystem(hadoop);
        out = fs.makeQualified(out);
        if (fs.exists(out) && !fs.getFileStatus(out).isDirectory()) throw new IllegalArgumentException(c.out() + ": exists and is not a folder");
        fs.mkdirs(new Path(out, "labels"));
        fs.mkdirs(new Path(out, "rows"));
        if (c.overlays()) fs.mkdirs(new Path(out, "overlays"));
        return new Plan(inputs, out, c.resume() && allDone(inputs, out, c.overlays(), fs));
    }

    /**
     * Whether every input has the outputs of an earlier run (its row, label map, and overlay when asked):
     * three folder listings, not one probe per input. The tasks still check each row (it must name the
     * same input); one that fails the check is segmented, its task computing the text features itself.
     */
    static boolean allDone(List<String> inputs, Path out, boolean overlays, FileSystem fs) throws IOException {
        Set<String> rows = names(fs, new Path(out, "rows")), labels = names(fs, new Path(out, "labels"));
        Set<String> overlayNames = overlays ? names(fs, new Path(out, "overlays")) : Set.of();
        for (String input : inputs) {
            String stem = InputListing.stem(input);
            if (!rows.contains(stem + ".json") || !labels.contains(stem + ".labels.png")) return false;
            if (overlays && !overlayNames.contains(stem + ".overlay.png")) return false;
        }
        return true;
    }

    private static Set<String> names(FileSystem fs, Path dir) throws IOException {
        Set<String> names = new HashSet<>();
        try {
            for (FileStatus st : fs.listStatus(dir)) if (st.isFile()) names.add(st.getPath().getName());
        } catch (FileNotFoundException e) {
            // no such folder: nothing done there
        }
        return names;
    }

    static Summary run(SparkSession spark, Config c, Plan plan, PrintWriter err) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = jsc.hadoopConfiguration();
        List<String> inputs = plan.inputs();
        Path out = plan.out();

        // text features once, on the driver (its model load is this JVM's one load: local-mode tasks reuse
        // it), unless --resume finds every input done: then neither the model nor the text features are needed
        ModelRef ref = new ModelRef(c.model(), c.visionHeads(), c.textHeads());
        long t0 = System.nanoTime();
        float[][] text = plan.allDone() ? null : c.options().create(ModelCache.get(ref)).textFeatures(c.vocabulary());
        double textMs = (System.nanoTime() - t0) / 1e6;

        int parts = Math.min(inputs.size(), c.partitions() != null ? c.partitions() : Math.max(1, 4 * jsc.defaultParallelism()));
        err.printf(Locale.ROOT, "segment-spark: %d inputs, method %s, %d classes%s on %s, %d partitions; %s%n",
                inputs.size(), c.options().method().cliName(), c.vocabulary().classCount(),
                c.vocabulary().hasBackground() ? " + " + c.vocabulary().background().size() + " background words" : "",
                jsc.master(), parts, plan.allDone() ? "every input done by an earlier run (--resume): no model load, no text features"
                        : String.format(Locale.ROOT, "model and text features in %.0f ms", textMs));
        err.flush();

        JobSpec spec = new JobSpec(ref, RecordSnapshot.of((Record) c.options()), RecordSnapshot.of(c.vocabulary()), text, c.exif(),
                c.overlays(), c.resume(), out.toString(), new HadoopConf(hadoop));
        Broadcast<JobSpec> broadcast = jsc.broadcast(spec);
        LongAccumulator segmented = jsc.sc().longAccumulator("segmented");
        LongAccumulator errors = jsc.sc().longAccumulator("errors");
        LongAccumulator resumed = jsc.sc().longAccumulator("resumed");
        long start = System.nanoTime();
        try {
            JavaRDD<Row> rows = jsc.parallelize(inputs, parts).mapPartitions(new SegmentPartition(broadcast, segmented, errors, resumed));
            String table = writeTable(spark.createDataFrame(rows, ResultRows.SCHEMA), out, c.format(), hadoop);
            double seconds = (System.nanoTime() - start) / 1e9;
            List<String> failed = errors.value() == 0 ? List.of() : failures(spark, table, c.format());
            Summary s = new Summary(inputs.size(), segmented.value(), resumed.value(), errors.value(), seconds, table, failed);
            err.printf(Locale.ROOT, "segment-spark: %d segmented, %d resumed, %d errors in %.1f s (%.2f images/s); table %s%n",
                    s.segmented(), s.resumed(), s.errors(), seconds, s.segmented() / seconds, table);
            for (String f : failed) err.println("segment-spark: failed: " + f);
            if (s.errors() > failed.size()) {
                err.printf(Locale.ROOT, "segment-spark: … and %d more failed inputs: see the error column of %s%n", s.errors() - failed.size(), table);
            }
            err.flush();
            return s;
        } finally {
            broadcast.destroy();
        }
    }

    /**
     * The first {@link #NAMED_FAILURES} failed inputs by path, "path: why" (the path left out where the message
     * names it already), read back from the table just written: one small query, however many rows failed.
     */
    static List<String> failures(SparkSession spark, String table, String format) {
        Dataset<Row> rows = format.equals("json") ? spark.read().schema(ResultRows.SCHEMA).json(table) : spark.read().parquet(table);
        List<String> out = new ArrayList<>();
        for (Row r : rows.filter("error IS NOT NULL").select("path", "error").orderBy("path").limit(NAMED_FAILURES).collectAsList()) {
            String path = r.getString(0), error = r.getString(1);
            out.add(error.contains(path) || error.contains(new Path(path).toUri().getPath()) ? error : path + ": " + error);
        }
        return out;
    }

    /**
     * The rows as one file, {@code OUT/results.parquet} or {@code OUT/results.jsonl}: Spark writes them
     * (one partition, sorted by path) into a hidden folder, and the single part file is renamed into place,
     * so the table is replaced whole. The shuffle into one partition keeps the segmentation itself spread
     * over all partitions.
     */
    private static String writeTable(Dataset<Row> rows, Path out, String format, Configuration hadoop) throws IOException {
        boolean json = format.equals("json");
        Path target = new Path(out, json ? "results.jsonl" : "results.parquet");
        Path tmp = new Path(out, "_results-" + UUID.randomUUID());
        FileSystem fs = tmp.getFileSystem(hadoop);
        try {
            DataFrameWriter<Row> w = rows.repartition(1).sortWithinPartitions("path").write();
            if (json) w.option("ignoreNullFields", "false").json(tmp.toString());
            else w.parquet(tmp.toString());
            FileStatus[] parts = fs.globStatus(new Path(tmp, "part-*"));
            if (parts == null || parts.length != 1) throw new IOException("expected one part file in " + tmp + ", found " + (parts == null ? 0 : parts.length));
            Outputs.replace(fs, parts[0].getPath(), target);
            if (Outputs.isLocal(fs)) Outputs.applyUmask(java.nio.file.Path.of(fs.makeQualified(target).toUri()));
            // the other format's table from an earlier run would read as this run's results: removed once
            // the new table is in place (a reader sees the old table or the new, never neither)
            Path other = new Path(out, json ? "results.parquet" : "results.jsonl");
            if (fs.isFile(other)) fs.delete(other, false);
        } finally {
            fs.delete(tmp, true);
        }
        return target.toString();
    }

    /** Spark 4.2 deprecates JDK 25 builds before 25.0.3 (a G1 bug); say so rather than let a long job meet it. */
    static void jdkCheck(PrintWriter err) {
        Runtime.Version v = Runtime.version();
        if (v.feature() == 25 && v.interim() == 0 && v.update() < 3) {
            err.println("warning: Spark deprecates JDK 25 builds before 25.0.3 (a G1 garbage collector bug); this JVM is " + v
                    + ": use 25.0.3 or later");
            err.flush();
        }
    }

    private static String ownJar() {
        try {
            java.nio.file.Path p = java.nio.file.Path.of(SegmentJob.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return p.toString().endsWith(".jar") ? p.toAbsolutePath().toString() : null;
        } catch (Exception e) {
            return null;
        }
    }
}
