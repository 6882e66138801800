package dev.clipengine.cli;

import dev.clipengine.device.BackendSelector;
import dev.clipengine.segment.MethodOptions;
import dev.clipengine.segment.Vocabulary;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;


import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * The single-machine {@code segment} command's options, for another front end that runs the same
 * segmentation elsewhere (the Spark job): {@link #mixin()} is that command's own picocli spec less the
 * options named in the constructor (its inputs and outputs), to be added to the other command with
 * {@code CommandSpec.addMixin}; after parsing, {@link #methodOptions()} and {@link #vocabulary()} are computed
 * by {@code SegmentCommand}'s own code. So every option {@code segment} has, now or later, parses and
 * means the same in both front ends, with one copy of the parsing.
 */
public final class SegmentArguments {

    private final SegmentCommand command = new SegmentCommand();
    private final CommandSpec spec = CommandSpec.forAnnotatedObject(command);

    /**
     * @param without long names of options the other front end replaces, e.g. "--image", "--out", "--json"; the
     *                positional images go too (the other front end names its inputs its own way)
     */
    public SegmentArguments(String... without) {
        for (PositionalParamSpec p : List.copyOf(spec.positionalParameters())) spec.remove(p);
        // the other front end has its own --help/--version; two copies would clash
        for (String standard : new String[] {"--help", "--version"}) {
            OptionSpec o = spec.findOption(standard);
            if (o != null) spec.remove(o);
        }
        for (String name : without) {
            OptionSpec o = spec.findOption(name);
            if (o == null) throw new IllegalArgumentException("segment has no option " + name);
            spec.remove(o);
        }
    }

    /** The options to mix into the other command (parsing that command fills this object). */
    public CommandSpec mixin() {
        return spec;
    }

    /**
     * The method and its options as {@code segment} resolves them ({@code --method}, {@code --profile}, then the
     * explicit protocol options): build it on a model with {@link MethodOptions#create}.
     */
    public MethodOptions methodOptions() throws IOException {
        return command.methodOptions();
    }

    /** The classes as {@code segment} reads them: {@code --classes}, {@code --vocabulary}, {@code --classes-file} or the profile's. */
    public Vocabulary vocabulary() throws IOException {
        return command.vocabulary();
    }

    /** Whether to apply the EXIF orientation: true unless {@code --no-exif} (refused with {@code --exif}). */
    public boolean exif() {
        return command.exif.apply();
    }

    /** {@code --model} as given, else the default model's name ({@code ViT-B/16}). */
    public String model() {
        return command.model.name();
    }

    /**
     * {@code --model} resolved as {@code segment} resolves it: a file or folder, or a model name taken from the
     * cache (pulled there when missing); {@code --device} checked the same way (its line, if any, on {@code err}).
     */
    public Path modelPath(PrintWriter err) throws IOException {
        return command.model.resolve(err);
    }

    /**
     * Refuses what this front end cannot run, before anything else, so that it fails in one line instead of being
     * ignored: {@code --device cuda} (a front end that runs the network on the CPU).
     *
     * @param frontEnd how the error names the caller ("the Spark job")
     */
    public void requireCpu(String frontEnd) {
        if (BackendSelector.parse(command.model.deviceOption.device).kind().equals("cuda")) {
            throw new IllegalArgumentException(frontEnd + " runs the network on the CPU; --device cuda runs with engine.jar"
                    + " segment");
        }
    }

    /** {@code --vision-heads}, null when not given. */
    public Integer visionHeads() {
        return command.model.headOptions.counts().vision();
    }

    /** {@code --text-heads}, null when not given. */
    public Integer textHeads() {
        return command.model.headOptions.counts().text();
    }
}
