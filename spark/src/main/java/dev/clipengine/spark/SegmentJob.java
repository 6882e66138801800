package dev.clipengine.spark;

import dev.clipengine.model.ClipModel;
import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.Segmenter;
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

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The driver's side of {@code segment} on Spark: list the inputs, compute the class text features once
 * and broadcast them, run one {@link SegmentPartition} per partition, and write the results table.
 */
public final class SegmentJob {

    /** What to run: the command line's options, parsed. */
    public record Config(String master, List<String> inputs, String out, String format, boolean resume, boolean overlays,
                         Integer partitions, String model, Integer visionHeads, Integer textHeads, SegmentOptions options,
                         Vocabulary vocabulary, boolean exif) {
    }

    /** What happened: counts over all inputs, the wall time of the distributed part, where the table is. */
    public record Summary(int inputs, long segmented, long resumed, long errors, double seconds, String table) {
    }

    private SegmentJob() {
    }

    /** Runs in the current Spark session when there is one (tests, notebooks), else in a new one stopped at the end. */
    public static Summary run(Config c, PrintWriter err) throws IOException {
        SparkConf conf = new SparkConf();
        // a missing model is said at once, before Spark starts, unless spark-submit --files ships it
        String modelName = java.nio.file.Path.of(c.model()).getFileName().toString();
        if (!Files.exists(java.nio.file.Path.of(c.model())) && !conf.get("spark.files", "").contains(modelName)) {
            throw new NoSuchFileException(c.model());
        }
        jdkCheck(err);
        var existing = SparkSession.getDefaultSession();
        if (existing.isDefined()) return run(existing.get(), c, err);
        SparkSession.Builder b = SparkSession.builder().appName("clip-engine segment");
        if (c.master() != null) b.master(c.master());
        else if (!conf.contains("spark.master")) b.master("local[*]");
        String master = c.master() != null ? c.master() : conf.get("spark.master", "local[*]");
        // executors in their own JVMs (local-cluster, standalone) fetch the engine from this jar; spark-submit sets it itself
        String ownJar = ownJar();
        if (!conf.contains("spark.jars") && ownJar != null && !master.startsWith("local[") && !master.equals("local")) b.config("spark.jars", ownJar);
        SparkSession spark = b.getOrCreate();
        try {
            return run(spark, c, err);
        } finally {
            spark.stop();
        }
    }

    static Summary run(SparkSession spark, Config c, PrintWriter err) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = jsc.hadoopConfiguration();
        List<String> inputs = InputListing.expand(c.inputs(), hadoop);
        InputListing.checkStems(inputs);

        Path out = new Path(c.out());
        FileSystem fs = out.getFileSystem(hadoop);
        out = fs.makeQualified(out);
        if (fs.exists(out) && !fs.getFileStatus(out).isDirectory()) throw new IllegalArgumentException(c.out() + ": exists and is not a folder");
        fs.mkdirs(new Path(out, "labels"));
        fs.mkdirs(new Path(out, "rows"));
        if (c.overlays()) fs.mkdirs(new Path(out, "overlays"));

        // text features once, on the driver (its model load is this JVM's one load: local-mode tasks reuse it)
        ModelRef ref = new ModelRef(c.model(), c.visionHeads(), c.textHeads());
        long t0 = System.nanoTime();
        ClipModel model = ModelCache.get(ref);
        float[][] text = new Segmenter(model, c.options()).textFeatures(c.vocabulary());
        double textMs = (System.nanoTime() - t0) / 1e6;

        int parts = Math.min(inputs.size(), c.partitions() != null ? c.partitions() : Math.max(1, 4 * jsc.defaultParallelism()));
        err.printf(Locale.ROOT, "segment-spark: %d inputs, %d classes%s on %s, %d partitions; model and text features in %.0f ms%n",
                inputs.size(), c.vocabulary().classes().size(),
                c.vocabulary().hasBackground() ? " + " + c.vocabulary().background().size() + " background words" : "",
                jsc.master(), parts, textMs);
        err.flush();

        JobSpec spec = new JobSpec(ref, RecordSnapshot.of(c.options()), RecordSnapshot.of(c.vocabulary()), text, c.exif(),
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
            Summary s = new Summary(inputs.size(), segmented.value(), resumed.value(), errors.value(), seconds, table);
            err.printf(Locale.ROOT, "segment-spark: %d segmented, %d resumed, %d errors in %.1f s (%.2f images/s); table %s%n",
                    s.segmented(), s.resumed(), s.errors(), seconds, s.segmented() / seconds, table);
            err.flush();
            return s;
        } finally {
            broadcast.destroy();
        }
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
