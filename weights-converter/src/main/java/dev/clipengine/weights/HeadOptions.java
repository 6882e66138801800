package dev.clipengine.weights;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --vision-heads} and {@code --text-heads}, mixed into every command that opens a checkpoint: head counts
 * cannot be read from tensor shapes, and OpenCLIP/OpenAI files do not record them (see {@link ClipCheckpoint}).
 */
public final class HeadOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--vision-heads", paramLabel = "N",
            description = "Attention heads of the image tower, for checkpoints that do not record it (default: from the file, else width/64).")
    Integer vision;

    @Option(names = "--text-heads", paramLabel = "N",
            description = "Attention heads of the text tower, for checkpoints that do not record it (default: from the file, else width/64).")
    Integer text;

    /** The counts given (null where not given); a non-positive count is a one-line usage error. */
    public HeadCounts counts() {
        if (mixee != null && mixee.commandLine() != null) return WeightsMain.heads(mixee, vision, text);
        // nested in another mixin (the engine's model options) there may be no command line to blame: same check
        if (vision != null && vision <= 0) throw new IllegalArgumentException("--vision-heads must be positive, got " + vision);
        if (text != null && text <= 0) throw new IllegalArgumentException("--text-heads must be positive, got " + text);
        return new HeadCounts(vision, text);
    }
}
