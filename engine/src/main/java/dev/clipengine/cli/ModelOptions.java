package dev.clipengine.cli;

import dev.clipengine.device.BackendSelector;
import dev.clipengine.model.ClipModel;
import dev.clipengine.weights.HeadOptions;
import dev.clipengine.weights.pull.ModelResolver;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The options every command that runs the network shares. */
final class ModelOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /** The model a command runs when {@code --model} is not given: the one the CLIPtrase paper reports most. */
    static final String DEFAULT_MODEL = "ViT-B/16";

    @Option(names = "--model", paramLabel = "FILE|NAME",
            description = "Weights: canonical safetensors, OpenAI/OpenCLIP safetensors, a Hugging Face CLIPModel file or folder, "
                    + "a PyTorch .pt/.bin (torch.save or TorchScript), or a model name (ViT-B/16, openai/clip-vit-base-patch16, ...) "
                    + "taken from the cache and pulled there, checksum verified, when missing (see 'pull'). Default: "
                    + DEFAULT_MODEL + " (offline, the error names the file to fetch and where to put it).")
    Path model;

    @Mixin
    HeadOptions headOptions;

    @Mixin
    DeviceOption deviceOption;

    /** Made by {@link #resolve}, used by {@link #load}. */
    private BackendSelector.Selection selection;

    /**
     * The model on the {@code --device} backend (which it closes with itself when it opened a GPU), its load
     * announced on {@code steps} when it lasts; the model is resolved (and pulled, with its own download
     * progress) first, so the announcement never interleaves with a download.
     */
    ClipModel load(Progress steps) throws IOException {
        PrintWriter err = mixee != null ? mixee.commandLine().getErr() : new PrintWriter(System.err, true);
        Path path = resolve(err);
        return steps.step("loading the model " + path.getFileName(), () -> ClipModel.load(path, DeviceOption.open(selection, headOptions.counts())));
    }

    /**
     * The weights {@code --model} names: a file or folder, or a model name taken from the cache (pulled there when
     * missing); {@code --device} is decided on the way and, when given, says in one line on {@code err} what it found.
     */
    Path resolve(PrintWriter err) throws IOException {
        selection = deviceOption.select(err);
        String name = name();
        return ModelResolver.resolve(name, headOptions.counts(), err).orElseThrow(() -> new NoSuchFileException(name));
    }

    /** {@code --model} as given, else {@link #DEFAULT_MODEL}. */
    String name() {
        return model != null ? model.toString() : DEFAULT_MODEL;
    }
}
