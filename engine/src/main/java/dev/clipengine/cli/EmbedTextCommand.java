package dev.clipengine.cli;

import dev.clipengine.model.ClipModel;
import dev.clipengine.weights.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "embed-text", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Tokenizes each text with CLIP's BPE and prints its projected text embedding (not normalized).",
                "Texts longer than the context are truncated with the end-of-text token last; an empty text is allowed."},
        footerHeading = "%nEXAMPLES%n",
        footer = {
                "  java -jar engine.jar embed-text --model ViT-B/16 \\",
                "      --text \"a photo of a cat.\" --text \"a photo of a dog.\"",
                "  java -jar engine.jar embed-text --model ViT-B/16 --text \"a red car\" --json",
                "",
                "EXIT STATUS",
                "  0 on success; 2 on bad arguments or unusable input (one line on stderr)."})
final class EmbedTextCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--text", required = true, paramLabel = "T", description = "A text to embed; repeat for several.")
    List<String> texts;

    @Option(names = "--json", description = "Print {\"results\":[{\"text\":…,\"ids\":[…],\"embedding\":[…]}]}.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        java.io.PrintWriter out = spec.commandLine().getOut();
        try (ClipModel clip = model.load(new Progress(spec.commandLine().getErr(), spec.name()))) {
            List<Object> results = new ArrayList<>();
            StringBuilder human = new StringBuilder();
            for (String t : texts) {
                ClipModel.TextEmbedding e = clip.embedText(t);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("text", t);
                r.put("ids", e.ids());
                r.put("embedding", e.embedding());
                results.add(r);
                human.append(Json.write(t)).append('\n')
                        .append("  ids: ").append(Output.ids(e.ids())).append('\n')
                        .append("  embedding[").append(e.embedding().length).append("]: ")
                        .append(Output.preview(e.embedding())).append('\n');
            }
            out.print(json ? Json.write(Map.of("results", results)) + "\n" : human);
        }
        out.flush();
        return 0;
    }
}
