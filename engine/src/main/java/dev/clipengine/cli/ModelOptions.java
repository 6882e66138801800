package dev.clipengine.cli;

import dev.clipengine.device.BackendSelector;
import dev.clipengine.model.ClipModel;
import dev.clipengine.weights.HeadCounts;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The options every command that runs the network shares. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "FILE",
            description = "Weights: canonical safetensors, OpenAI/OpenCLIP safetensors, a Hugging Face CLIPModel file or folder.")
    Path model;

    @Option(names = "--vision-heads", paramLabel = "N",
            description = "Attention heads of the image tower, for checkpoints that do not record it (default: from the file, else width/64).")
    Integer visionHeads;

    @Option(names = "--text-heads", paramLabel = "N",
            description = "Attention heads of the text tower, for checkpoints that do not record it (default: from the file, else width/64).")
    Integer textHeads;

    @Option(names = "--device", paramLabel = "auto|cpu|cuda[:N]",
            description = "Where the network runs (default: auto, silent). The CUDA backend is not enabled yet: every choice runs on the CPU, cuda is refused; an explicit value prints one line saying what was found.")
    String device;

    ClipModel load() throws IOException {
        BackendSelector.Selection selection = BackendSelector.select(device);
        if (selection.logLine() != null) System.err.println(selection.logLine());
        if (!Files.exists(model)) throw new NoSuchFileException(model.toString());
        return ClipModel.load(model, new HeadCounts(visionHeads, textHeads));
    }
}
