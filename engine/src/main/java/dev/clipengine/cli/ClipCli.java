package dev.clipengine.cli;

import dev.clipengine.weights.ConvertCommand;
import dev.clipengine.weights.InfoCommand;
import dev.clipengine.weights.WeightsMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar engine.jar COMMAND ...}: the engine's command line. */
@Command(name = "engine",
        mixinStandardHelpOptions = true,
        version = "clip-engine 0.1.0",
        description = {
                "A pure-Java CLIP inference engine for training-free open-vocabulary segmentation.",
                "Weights: the engine's canonical safetensors file, or any checkpoint 'convert' reads (converted on the fly)."},
        subcommands = {
                EmbedTextCommand.class,
                EmbedImageCommand.class,
                ClassifyCommand.class,
                SegmentCommand.class,
                ServeCommand.class,
                EvalCommand.class,
                ConvertCommand.class,
                InfoCommand.class,
                dev.clipengine.weights.pull.PullCommand.class,
                BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class ClipCli implements Runnable {

    /** Exit code for bad input: a missing or unreadable file, a wrong format, an impossible option. */
    public static final int EXIT_BAD_INPUT = WeightsMain.EXIT_ERROR;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    public static void main(String[] args) {
        WeightsMain.exitOnUncaughtErrors();
        ChildJvm.exitWithLauncher();
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (used by tests, without exiting the JVM). */
    public static int run(String... args) {
        // JVM errors (out of memory, stack overflow) end as one line and exit 2 too; picocli rethrows them
        return WeightsMain.execute(newCommandLine(), args);
    }

    static CommandLine newCommandLine() {
        // one error style for every command: "error: <one line>", exit 2 (weights-converter defines it)
        return WeightsMain.configure(new CommandLine(new ClipCli()));
    }
}
