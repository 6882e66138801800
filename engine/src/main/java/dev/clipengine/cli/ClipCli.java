package dev.clipengine.cli;

import dev.clipengine.weights.ConvertCommand;
import dev.clipengine.weights.InfoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

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
                ConvertCommand.class,
                InfoCommand.class,
                CommandLine.HelpCommand.class})
public final class ClipCli implements Runnable {

    /** Exit code for bad input: a missing or unreadable file, a wrong format, an impossible option. */
    public static final int EXIT_BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (used by tests, without exiting the JVM). */
    public static int run(String... args) {
        return newCommandLine().execute(args);
    }

    static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new ClipCli());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            cmd.getErr().println("error: " + describe(ex));
            if (Boolean.getBoolean("clipengine.debug")) ex.printStackTrace(cmd.getErr());
            cmd.getErr().flush();
            return EXIT_BAD_INPUT;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println("error: " + ex.getMessage().strip().replace('\n', ' ')
                    + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return EXIT_BAD_INPUT;
        });
        return cl;
    }

    /** One line that tells a user what went wrong, without a stack trace. */
    static String describe(Throwable ex) {
        if (ex instanceof UncheckedIOException u) ex = u.getCause();
        String msg = ex.getMessage() == null ? "" : ex.getMessage().strip().replace('\n', ' ');
        if (ex instanceof NoSuchFileException) return "no such file: " + msg;
        if (ex instanceof AccessDeniedException) return "permission denied: " + msg;
        if (ex instanceof IOException || ex instanceof IllegalArgumentException || ex instanceof IllegalStateException) {
            return msg.isEmpty() ? ex.getClass().getSimpleName() : msg;
        }
        if (ex instanceof OutOfMemoryError) return "out of memory (" + msg + "); give the JVM more with -Xmx";
        return "internal error: " + ex + " (rerun with -Dclipengine.debug=true for the stack trace)";
    }
}
