package dev.clipengine.spark;

import dev.clipengine.weights.WeightsMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code engine-spark.jar COMMAND ...}: the engine's batch commands on Apache Spark. */
@Command(name = "engine-spark",
        mixinStandardHelpOptions = true,
        version = "clip-engine 0.1.0 on Apache Spark",
        description = {
                "Batch open-vocabulary segmentation on Apache Spark 4.2: one model per executor JVM, text features computed once and broadcast.",
                "Runs under spark-submit, or with plain `java -jar` in local mode (Spark from $SPARK_HOME or target/spark-home)."},
        subcommands = CommandLine.HelpCommand.class)
public final class SparkCli implements Runnable {

    /** Log configuration used when the user names none: Spark at WARN, the engine's own lines (model loads) at INFO. */
    static final String LOG_CONFIG = "dev/clipengine/spark/log4j2-cli.properties";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    public static void main(String[] args) {
        // before anything logs: Spark's default profile prints a screenful of INFO lines per run
        if (System.getProperty("log4j2.configurationFile") == null && System.getProperty("log4j.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", LOG_CONFIG);
        }
        dev.clipengine.weights.WeightsMain.exitOnUncaughtErrors();
        dev.clipengine.cli.ChildJvm.exitWithLauncher();
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this inside their JVM and Spark session). */
    public static int run(String... args) {
        // JVM errors end as one line and exit 2 too (picocli rethrows them)
        return dev.clipengine.weights.WeightsMain.execute(newCommandLine(), args);
    }

    static CommandLine newCommandLine() {
        CommandLine top = new CommandLine(new SparkCli());
        SparkSegmentCommand segment = new SparkSegmentCommand();
        CommandLine sub = new CommandLine(segment);
        // every option of the single-machine `segment`, parsed by that command's own code; inputs and
        // outputs are this command's own (--input takes URIs and globs, --out a Hadoop path)
        sub.getCommandSpec().addMixin("segment", segment.segmentArguments.mixin());
        top.addSubcommand("segment", sub);
        // one error style with engine.jar: "error: <one line>", exit 2
        return WeightsMain.configure(top);
    }
}
