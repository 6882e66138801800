package dev.clipengine.weights.pull;

import dev.clipengine.weights.DType;
import dev.clipengine.weights.HeadCounts;
import dev.clipengine.weights.HeadOptions;
import dev.clipengine.weights.WeightsMain;
import dev.clipengine.weights.pull.KnownModels.KnownModel;
import dev.clipengine.weights.pull.KnownModels.RemoteFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pull NAME}: download a known checkpoint with its checksum and convert it into the cache. */
@Command(name = "pull",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        separator = " ",
        headerHeading = "%nNAME%n  pull - ",
        header = "Download a known CLIP checkpoint, verify it, and convert it into the cache.",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "Downloads NAME from its official location into the cache, streaming with a progress bar, verifies "
                + "its SHA-256 (OpenAI: the one published in the URL, as openai/CLIP checks it; Hugging Face: the one "
                + "the Hub states for the file), moves it into place only when verified, and converts it to the "
                + "canonical file <cache>/<name>.safetensors, which --model NAME then uses. An interrupted download "
                + "is resumed by the next run; a checksum mismatch leaves nothing behind.",
            "",
            "Known names: " + "ViT-B/32, ViT-B/16, ViT-L/14, ViT-L/14@336px (OpenAI TorchScript archives), "
                + "openai/clip-vit-base-patch32, openai/clip-vit-base-patch16, openai/clip-vit-large-patch14, "
                + "openai/clip-vit-large-patch14-336 (Hugging Face).",
            "",
            "Cache: --cache-dir, else $CLIP_ENGINE_CACHE, else $XDG_CACHE_HOME/clip-engine, else ~/.cache/clip-engine. "
                + "A mirror with the same paths: --base-url or $CLIP_ENGINE_BASE_URL. With $CLIP_ENGINE_OFFLINE=1 "
                + "nothing is fetched and the error says where to put the files."},
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        footerHeading = "%nEXAMPLES%n",
        footer = {
            "  java -jar engine.jar pull ViT-B/16",
            "  java -jar engine.jar pull openai/clip-vit-base-patch16 --dtype f16",
            "  java -jar engine.jar pull my-clip --url https://example.org/my-clip.pt \\",
            "      --sha256 \"$SHA256\"",
            "",
            "EXIT STATUS",
            "  0 on success; 2 on bad arguments, an unknown name or a failed download",
            "  (one line on stderr)."})
public class PullCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    HeadOptions headOptions;

    @Parameters(index = "0", paramLabel = "NAME", arity = "0..1", description = "Model name (see above), or a name of your choice with --url.")
    String name;

    @Option(names = "--list", description = "List the known names with their URLs and exit.")
    boolean list;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Cache folder (see above for the default).")
    Path cacheDir;

    @Option(names = "--base-url", paramLabel = "URL", description = "Fetch from this mirror instead of the official hosts (same paths).")
    String baseUrl;

    @Option(names = "--url", paramLabel = "URL", description = "Pull a checkpoint that is not a known name from this URL (with --sha256).")
    String url;

    @Option(names = "--sha256", paramLabel = "HEX", description = "Expected SHA-256 of the --url file.")
    String sha256;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "f32", converter = WeightsMain.DTypeConverter.class,
            description = "Storage type of the canonical file: f32, f16 or bf16. Default: ${DEFAULT-VALUE}.")
    DType dtype;



    @Option(names = "--force", description = "Convert again even when the canonical file is cached.")
    boolean force;

    public PullCommand() {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (list) {
            for (KnownModel m : KnownModels.all()) {
                out.println(m.name() + "  " + String.join(" ", m.files().stream().map(RemoteFile::url).toList()));
            }
            out.flush();
            return 0;
        }
        if (name == null || name.isBlank()) throw new CommandLine.ParameterException(spec.commandLine(), "missing NAME");
        HeadCounts heads = headOptions.counts();
        KnownModel model;
        if (url != null) {
            if (sha256 != null && !sha256.toLowerCase(Locale.ROOT).matches("[0-9a-f]{64}")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--sha256 must be 64 hex digits");
            }
            String file = java.net.URI.create(url).getPath();
            file = file == null || file.isEmpty() ? "model.bin" : file.substring(file.lastIndexOf('/') + 1);
            if (file.isEmpty() || file.startsWith(".")) file = "model.bin";
            model = new KnownModel(name, List.of(new RemoteFile(url, file, sha256 == null ? null : sha256.toLowerCase(Locale.ROOT))),
                    HeadCounts.NONE, false);
        } else {
            model = KnownModels.find(name).orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(),
                    "unknown model '" + name + "' (known: " + KnownModels.names() + "; or give --url)"));
        }
        Puller.Options env = Puller.Options.fromEnvironment(cacheDir, heads);
        Puller.Options o = new Puller.Options(env.cache(), baseUrl != null ? baseUrl : env.baseUrl(), dtype, heads,
                env.offline(), force);
        boolean terminal = System.console() != null && System.console().isTerminal();
        Puller p = new Puller(o, Progress.to(err, terminal), line -> { err.println(line); err.flush(); });
        Path canonical = p.pull(model);
        out.println(canonical);
        out.flush();
        return 0;
    }
}
