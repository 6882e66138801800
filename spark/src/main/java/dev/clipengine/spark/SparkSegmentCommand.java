package dev.clipengine.spark;

import dev.clipengine.cli.SegmentArguments;
import dev.clipengine.cli.UpToNextOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "segment", sortOptions = false, mixinStandardHelpOptions = true,
        description = {
                "Segments a collection of images on Spark with any method (--method, default cliptrase), every option meaning what it means for engine.jar's `segment`.",
                "",
                "Writes OUT/labels/<stem>.labels.png (as `segment` does), OUT/overlays/<stem>.overlay.png with --overlays, "
                        + "OUT/rows/<stem>.json per segmented image, and the table OUT/results.parquet (or OUT/results.jsonl with "
                        + "--format json): one row per input with path, sizes, classes present, class fractions, clusters, timings "
                        + "and error (an unreadable input gives a row with its error; the job goes on, and its summary names the first "
                        + "failed inputs).",
                "",
                "Inputs and OUT are Hadoop paths: local files, file://, hdfs://, s3a:// (with the connector on the class path). "
                        + "The model is read from the local disk of the driver and of every executor (same path, or shipped with "
                        + "spark-submit --files)."})
final class SparkSegmentCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master: local[N], local-cluster[W,C,MB], spark://HOST:PORT, yarn, … (default: spark-submit's, else local[*]).")
    String master;

    // up to the next option-like argument, as segment's --image: a typo after the inputs is refused at once
    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "DIR|GLOB|LIST", parameterConsumer = UpToNextOption.class,
            description = "A folder (its .png/.jpg/.jpeg/.bmp/.gif/.tif/.tiff files), a glob (quoted: 'data/*.jpg'), an image, or a text file "
                    + "listing one path or URI per line; repeat or list several.")
    List<String> inputs;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Output folder, a Hadoop path (created if missing).")
    String out;

    @Option(names = "--format", defaultValue = "parquet", paramLabel = "F",
            description = "Results table: parquet (OUT/results.parquet) or json (OUT/results.jsonl, one JSON object per line).")
    String format;

    @Option(names = "--resume", description = "Skip inputs whose outputs exist from an earlier run (their rows come back from OUT/rows/); failed inputs are retried. "
            + "With every input done, neither the model nor the text features are loaded.")
    boolean resume;

    @Option(names = "--overlays", description = "Also write OUT/overlays/<stem>.overlay.png (the image with class colours and a legend).")
    boolean overlays;

    @Option(names = "--partitions", paramLabel = "N",
            description = "Tasks to split the inputs into (default: 4 per core of the cluster, at most one per input).")
    Integer partitions;

    /** Every option of engine.jar's `segment` but its inputs and outputs, mixed into this command. */
    final SegmentArguments segmentArguments = new SegmentArguments("--image", "--out", "--json");

    @Override
    public Integer call() throws Exception {
        String f = format.toLowerCase(Locale.ROOT);
        if (!f.equals("parquet") && !f.equals("json")) {
            throw new IllegalArgumentException("unknown --format '" + format + "' (expected parquet or json)");
        }
        if (partitions != null && partitions < 1) throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        segmentArguments.requireCpu("the Spark job");
        String model = segmentArguments.modelPath(spec.commandLine().getErr()).toAbsolutePath().toString();
        SegmentJob.Config config = new SegmentJob.Config(master, inputs, out, f, resume, overlays, partitions, model, segmentArguments.visionHeads(), segmentArguments.textHeads(),
                segmentArguments.methodOptions(), segmentArguments.vocabulary(), segmentArguments.exif());
        SegmentJob.run(config, spec.commandLine().getErr());
        // inputs that failed are rows with an error, not a failed job (the summary line counts them)
        return 0;
    }
}
