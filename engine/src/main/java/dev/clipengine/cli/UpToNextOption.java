package dev.clipengine.cli;

import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Stack;

/**
 * The values of a multi-value option ({@code --image a.png b.png}, Spark's {@code --input}) run up to the
 * next argument that looks like an option, known or not. Picocli's own rule stops only at options it
 * knows, so a typo ({@code --image a.png --clases road}) used to become two more image paths and failed
 * only after the model had loaded; stopping here hands {@code --clases} back to the parser, which refuses
 * it at once as an unknown option. An image whose name starts with '-' is given as {@code ./-name.png}.
 * Values are {@code Path} or {@code String}, as the option's element type says.
 */
public final class UpToNextOption implements IParameterConsumer {

    @Override
    public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
        String option = argSpec instanceof OptionSpec o ? o.longestName() : argSpec.paramLabel();
        List<String> taken = new ArrayList<>();
        while (!args.isEmpty() && !looksLikeOption(args.peek())) taken.add(args.pop());
        if (taken.isEmpty()) {
            String next = args.isEmpty() ? "nothing" : "'" + args.peek() + "'";
            throw new ParameterException(commandSpec.commandLine(), "option '" + option + "' needs at least one value (" + argSpec.paramLabel()
                    + "), found " + next);
        }
        boolean paths = argSpec.auxiliaryTypes().length > 0 && argSpec.auxiliaryTypes()[0] == Path.class;
        List<Object> values = argSpec.getValue() == null ? new ArrayList<>() : new ArrayList<>((List<?>) argSpec.getValue());
        for (String s : taken) {
            try {
                values.add(paths ? Path.of(s) : s);
            } catch (InvalidPathException e) {
                throw new ParameterException(commandSpec.commandLine(), "option '" + option + "': not a path: '" + s + "' (" + e.getReason() + ")");
            }
        }
        argSpec.setValue(values);
    }

    /** "-x", "--x", "--": what the parser would read as an option or the end of options; "-" alone is a value. */
    static boolean looksLikeOption(String arg) {
        return arg.length() > 1 && arg.charAt(0) == '-';
    }
}
