package dev.clipengine.cli;

import dev.clipengine.device.BackendSelector;
import dev.clipengine.model.ClipModel;
import dev.clipengine.weights.HeadCounts;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** {@code --device}: where the network runs, for every command that runs it. */
final class DeviceOption {

    @Option(names = "--device", paramLabel = "auto|cpu|cuda[:N]",
            description = "Where the network runs: auto (default: the CPU, silently; a GPU is not picked automatically until "
                    + "the CUDA backend has been validated on one), cpu, or cuda[:N] (the GPU, refused in one line when "
                    + "no usable CUDA device is found). An explicit value prints one line saying what was found.")
    String device;

    /** Decides, printing the selection's line (if any) on {@code err}; a bad or unusable choice fails in one line. */
    BackendSelector.Selection select(PrintWriter err) {
        BackendSelector.Selection selection = BackendSelector.select(device);
        if (selection.logLine() != null) err.println(selection.logLine());
        return selection;
    }

    /** Load options on the selected backend; a model loaded with them closes a CUDA backend with itself. */
    static ClipModel.Options open(BackendSelector.Selection selection, HeadCounts heads) {
        return new ClipModel.Options(heads, BackendSelector.open(selection), selection.cuda());
    }
}
