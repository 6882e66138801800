package dev.clipengine.weights;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code clip-weights}: this module's own command line ({@code convert}, {@code info}). The engine's
 * CLI registers {@link ConvertCommand} and {@link InfoCommand} as its own subcommands and then calls
 * {@link #configure(CommandLine)} so that errors look the same there.
 */
@Command(name = "clip-weights",
        mixinStandardHelpOptions = true,
        versionProvider = WeightsMain.Version.class,
        subcommands = {ConvertCommand.class, InfoCommand.class, dev.clipengine.weights.pull.PullCommand.class,
            CommandLine.HelpCommand.class},
        synopsisHeading = "%nSYNOPSIS%n  ",
        customSynopsis = "clip-weights COMMAND [OPTIONS] [ARGS]",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "Reads CLIP checkpoints in the formats people hold (OpenAI/OpenCLIP or Hugging Face safetensors, "
                + "single files, sharded indexes or checkpoint folders; PyTorch torch.save zips and TorchScript "
                + "archives such as OpenAI's ViT-B-16.pt, through a restricted unpickler that runs no code) and "
                + "writes the clip engine's canonical weights file; pulls known checkpoints with their checksums."},
        optionListHeading = "%nOPTIONS%n",
        commandListHeading = "%nCOMMANDS%n",
        footerHeading = "%nEXIT STATUS%n",
        footer = {"  0 on success, 2 on bad arguments or unusable input (one line on stderr).",
            "",
            "Run 'clip-weights help COMMAND' for a command's manual."})
public final class WeightsMain implements Callable<Integer> {

    /** Exit code for bad arguments and unusable input. */
    public static final int EXIT_ERROR = 2;

    @Spec
    CommandSpec spec;

    public WeightsMain() {
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("error: missing command (convert, info or pull)");
        err.println("Try 'clip-weights --help' for more information.");
        return EXIT_ERROR;
    }

    public static void main(String[] args) {
        exitOnUncaughtErrors();
        System.exit(execute(commandLine(), args));
    }

    /**
     * For a process's main: an exception or error that escapes any other thread (a worker out of memory)
     * prints the same one line and ends the process with {@value #EXIT_ERROR}, instead of a stack trace
     * and a process that goes on without its worker.
     */
    public static void exitOnUncaughtErrors() {
        Thread.setDefaultUncaughtExceptionHandler((thread, ex) -> {
            System.err.println("error: " + describe(ex));
            System.err.flush();
            Runtime.getRuntime().halt(EXIT_ERROR);
        });
    }

    /**
     * Runs {@code cl} on {@code args} and returns the exit code. Picocli hands exceptions to the handler
     * {@link #configure} installs but rethrows JVM errors, so an {@link OutOfMemoryError} or a
     * {@link StackOverflowError} (a hostile input that got past a bound, or a heap too small for the model)
     * is caught here and reported like every other failure: one line, exit {@value #EXIT_ERROR}.
     */
    public static int execute(CommandLine cl, String... args) {
        try {
            return cl.execute(args);
        } catch (VirtualMachineError | LinkageError e) {
            PrintWriter err = cl.getErr();
            err.println("error: " + describe(e));
            if (Boolean.getBoolean("clipengine.debug")) e.printStackTrace(err);
            err.flush();
            return EXIT_ERROR;
        }
    }

    /** A configured {@code clip-weights} command line. */
    public static CommandLine commandLine() {
        return configure(new CommandLine(new WeightsMain()));
    }

    /**
     * Installs the error handling of these commands on {@code cl} and every subcommand it has now:
     * an exception while running prints {@code error: <one line>} on the command's error stream and
     * exits {@value #EXIT_ERROR} (no stack trace); a bad argument prints one line plus a hint to
     * {@code --help} on the same line and exits {@value #EXIT_ERROR}. With {@code -Dclipengine.debug=true}
     * the stack trace follows, for bug reports.
     */
    public static CommandLine configure(CommandLine cl) {
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            cmd.getErr().println("error: " + describe(ex));
            if (Boolean.getBoolean("clipengine.debug")) ex.printStackTrace(cmd.getErr());
            cmd.getErr().flush();
            return EXIT_ERROR;
        });
        // an unknown option right after an option's value ("--out dir --clases road") is refused as
        // unknown rather than taken as that option's value and failing later, or never
        cl.setUnmatchedOptionsAllowedAsOptionParameters(false);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println("error: " + WeightsFormatException.oneLine(withoutPicocliPrefix(ex.getMessage())) + suggestion(ex)
                    + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return EXIT_ERROR;
        });
        return cl;
    }

    /** " (did you mean --classes?)" for a mistyped option, from picocli's close matches; empty otherwise. */
    static String suggestion(CommandLine.ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException u) || u.getSuggestions().isEmpty()) return "";
        List<String> s = u.getSuggestions();
        return " (did you mean " + String.join(" or ", s.subList(0, Math.min(3, s.size()))) + "?)";
    }

    /**
     * Picocli starts some of its messages (mutually exclusive or co-required options) with its own
     * {@code "Error: "}; after ours that read {@code error: Error: ...}.
     */
    static String withoutPicocliPrefix(String message) {
        return message != null && message.startsWith("Error: ") ? message.substring("Error: ".length()) : message;
    }

    /** One line saying what went wrong, for users (no class names for the expected cases). */
    public static String describe(Throwable ex) {
        String msg;
        if (ex instanceof WeightsFormatException) {
            msg = ex.getMessage();
        } else if (ex instanceof NoSuchFileException f) {
            msg = f.getFile() + ": no such file or directory";
        } else if (ex instanceof AccessDeniedException f) {
            msg = f.getFile() + ": permission denied";
        } else if (ex instanceof FileSystemException f) {
            msg = (f.getFile() == null ? "" : f.getFile() + ": ") + (f.getReason() == null ? f.getClass().getSimpleName() : f.getReason());
        } else if (ex instanceof IOException || ex instanceof IllegalArgumentException || ex instanceof IllegalStateException) {
            msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        } else if (ex instanceof java.io.UncheckedIOException u) {
            return describe(u.getCause());
        } else if (ex instanceof OutOfMemoryError) {
            long heapMb = Runtime.getRuntime().maxMemory() >> 20, twice = 2 * heapMb;
            msg = "out of memory (" + ex.getMessage() + ") in a " + heapMb + " MB heap; the input needs more than this JVM has: "
                    + "try -Xmx" + (twice >= 1024 ? (twice + 1023) / 1024 + "g" : twice + "m") + " or more if the input is legitimate";
        } else if (ex instanceof StackOverflowError) {
            msg = "the input is nested too deeply to process (stack overflow)";
        } else {
            msg = "internal error: " + ex + " (rerun with -Dclipengine.debug=true for the stack trace)";
        }
        return WeightsFormatException.oneLine(msg);
    }

    /** Version from the jar manifest when there is one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = WeightsMain.class.getPackage().getImplementationVersion();
            return new String[] {"clip-weights " + (v == null ? "(development build)" : v)};
        }
    }

    /** {@code --dtype} values: f32, f16, bf16 (any case; float32, float16, bfloat16 too). */
    public static final class DTypeConverter implements CommandLine.ITypeConverter<DType> {
        public DTypeConverter() {
        }

        @Override
        public DType convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "f32", "fp32", "float32" -> DType.F32;
                case "f16", "fp16", "float16", "half" -> DType.F16;
                case "bf16", "bfloat16" -> DType.BF16;
                default -> throw new CommandLine.TypeConversionException("expected f32, f16 or bf16 but was '" + value + "'");
            };
        }
    }

    /** Head-count options shared by the commands. */
    public static HeadCounts heads(CommandSpec spec, Integer vision, Integer text) {
        if (vision != null && vision <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--vision-heads must be positive, got " + vision);
        }
        if (text != null && text <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--text-heads must be positive, got " + text);
        }
        return new HeadCounts(vision, text);
    }

    /** 1234567 -> "1.2 MiB". */
    static String humanBytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
