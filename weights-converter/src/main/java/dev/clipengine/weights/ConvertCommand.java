package dev.clipengine.weights;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code convert INPUT -o OUTPUT}: any supported checkpoint to the canonical file. */
@Command(name = "convert",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        separator = " ",
        headerHeading = "%nNAME%n  convert - ",
        header = "Write a CLIP checkpoint as the engine's canonical weights file.",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "Reads INPUT, maps its tensors to OpenAI's names (Hugging Face q/k/v projections fused into "
                + "in_proj, projections transposed), checks every shape against the architecture read from "
                + "the shapes, and writes OUTPUT: a safetensors file whose metadata records the architecture "
                + "(heads included), the source file name and its SHA-256. Tensors are stored contiguously, as every safetensors reader expects. The "
                + "output is written to a temporary file beside it and moved into place, so an interrupted "
                + "run leaves no partial file.",
            "",
            "INPUT may be a .safetensors file (OpenAI/OpenCLIP names, optionally under 'module.', or Hugging "
                + "Face CLIPModel names), a sharded *.safetensors.index.json, a PyTorch zip checkpoint "
                + "(torch.save state dict .pt/.pth/pytorch_model.bin, or a TorchScript archive such as OpenAI's "
                + "ViT-B-16.pt; fp16 is widened exactly), or a folder holding model.safetensors, "
                + "model.safetensors.index.json, open_clip_model.safetensors or pytorch_model.bin. Pickles are "
                + "read by a restricted unpickler: only the globals torch checkpoints use are accepted, no code runs.",
            "",
            "Attention heads are not visible in tensor shapes. They are taken from --vision-heads/--text-heads, "
                + "else from a canonical file's metadata, a Hugging Face config.json or an open_clip_config.json "
                + "beside the weights, else assumed with OpenAI's rule width/64 (a warning says so).",
            "",
            "Prints one line: what was read, the architecture, the dtype written and the output size."},
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        footerHeading = "%nEXAMPLES%n",
        footer = {
            "  java -jar engine.jar convert open_clip_model.safetensors -o b16.safetensors",
            "  java -jar engine.jar convert ./clip-vit-base-patch16/ \\",
            "      -o b16-f16.safetensors --dtype f16",
            "  java -jar engine.jar convert tiny.safetensors -o out.safetensors \\",
            "      --vision-heads 4 --text-heads 2",
            "",
            "EXIT STATUS",
            "  0 on success; 2 on bad arguments or unusable input (one line on stderr)."})
public class ConvertCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    HeadOptions headOptions;

    @Parameters(index = "0", paramLabel = "INPUT", description = "Checkpoint to read: file, index or folder.")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUTPUT",
            description = "Canonical safetensors file to write (replaced if it exists).")
    Path output;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "f32", converter = WeightsMain.DTypeConverter.class,
            description = "Storage type of the output: f32, f16 (round to nearest even) or bf16 (round to nearest "
                    + "even). Default: ${DEFAULT-VALUE}.")
    DType dtype;



    public ConvertCommand() {
    }

    @Override
    public Integer call() throws Exception {
        HeadCounts heads = headOptions.counts();
        var err = spec.commandLine().getErr();
        try (ClipCheckpoint ck = ClipCheckpoint.open(input, heads, line -> { err.println(line); err.flush(); })) {
            String sha = Sha256.of(ck.files());
            long size = CanonicalWriter.write(ck, output, dtype, sha);
            spec.commandLine().getOut().println("converted " + ck.source() + " (" + ck.format() + ") -> " + output + ": "
                    + ck.config().summary() + "; " + dtype + ", " + ck.tensors().size() + " tensors, "
                    + WeightsMain.humanBytes(size));
        }
        return 0;
    }
}
