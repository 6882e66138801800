package dev.clipengine.weights;

import dev.clipengine.weights.torch.TorchFile;
import dev.clipengine.weights.torch.ZipArchive;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code info FILE}: what a weights file holds. */
@Command(name = "info",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        separator = " ",
        headerHeading = "%nNAME%n  info - ",
        header = "Describe a weights file: format, tensors, dtypes, architecture.",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "Prints the format of FILE, its tensor count, parameter count, dtypes (tensors per dtype), the "
                + "CLIP architecture read from it (with where the head counts came from) and its metadata.",
            "",
            "FILE may be anything 'convert' reads. For a CLIP the counts are over the model's tensors under "
                + "OpenAI names (source tensors that are not part of the model, such as position_ids, are "
                + "reported as ignored). A safetensors file that is not a CLIP is still described, tensor by "
                + "tensor (name, dtype, shape)."},
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        footerHeading = "%nEXAMPLES%n",
        footer = {
            "  java -jar engine.jar info vit-b-16.safetensors",
            "  java -jar engine.jar info ./clip-vit-base-patch16/ --json",
            "",
            "EXIT STATUS",
            "  0 on success; 2 on bad arguments or unusable input (one line on stderr)."})
public class InfoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    HeadOptions headOptions;

    @Parameters(index = "0", paramLabel = "FILE", description = "Weights file, sharded index or checkpoint folder.")
    Path file;

    @Option(names = "--json", description = "Print one JSON object instead of text (tensors always listed).")
    boolean json;

    @Option(names = "--tensors", description = "List every tensor (name, dtype, shape) in the text output too.")
    boolean listTensors;



    public InfoCommand() {
    }

    @Override
    public Integer call() throws Exception {
        HeadCounts heads = headOptions.counts();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Object> report;
        try (ClipCheckpoint ck = ClipCheckpoint.open(file, heads, line -> { err.println(line); err.flush(); })) {
            report = describe(ck.source().toString(), ck.format(), ck.tensors().values(), ck.metadata());
            report.put("config", ck.config().toMap());
            report.put("heads_source", ck.headsSource());
            report.put("ignored", ck.ignored());
            report.put("summary", ck.config().summary());
        } catch (NotAClipException notClip) {
            if (!Files.isRegularFile(file) || file.toString().endsWith(".json")) throw notClip;
            if (ZipArchive.looksLikeZip(SafetensorsFile.head(file, 8))) {
                try (TorchFile tf = TorchFile.open(file)) {
                    report = describe(file.toString(), tf.kind() + " (not a CLIP checkpoint)", tf.tensors().values(), Map.of());
                    report.put("config", null);
                }
            } else {
                try (SafetensorsFile sf = SafetensorsFile.open(file)) {
                    report = describe(file.toString(), "safetensors (not a CLIP checkpoint)", sf.tensors().values(), sf.metadata());
                    report.put("config", null);
                }
            }
            String prefix = file + ": ";
            String why = notClip.getMessage().startsWith(prefix) ? notClip.getMessage().substring(prefix.length()) : notClip.getMessage();
            report.put("note", why);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(report));
        } else {
            printText(out, report);
        }
        out.flush();
        return 0;
    }

    private static Map<String, Object> describe(String source, String format, Collection<Tensor> tensors,
                                                Map<String, String> metadata) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("file", source);
        r.put("format", format);
        r.put("tensor_count", tensors.size());
        long params = 0;
        Map<String, Integer> dtypes = new TreeMap<>();
        List<Object> list = new ArrayList<>();
        for (Tensor t : tensors) {
            params += t.elementCount();
            dtypes.merge(t.dtype().name(), 1, Integer::sum);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", t.name());
            e.put("dtype", t.dtype().name());
            e.put("shape", Arrays.stream(t.shape()).boxed().toList());
            list.add(e);
        }
        r.put("parameter_count", params);
        r.put("dtypes", dtypes);
        r.put("metadata", metadata);
        r.put("tensors", list);
        return r;
    }

    @SuppressWarnings("unchecked")
    private void printText(PrintWriter out, Map<String, Object> r) {
        // everything printed from the file is escaped (a metadata key or tensor name may hold terminal escapes
        // or a newline that forges a line); only the JSON output, whose encoder escapes, prints it as it is
        out.println("file:         " + WeightsFormatException.oneLine(String.valueOf(r.get("file"))));
        out.println("format:       " + r.get("format"));
        if (r.get("note") != null) out.println("note:         " + WeightsFormatException.oneLine(String.valueOf(r.get("note"))));
        List<String> ignored = (List<String>) r.getOrDefault("ignored", List.of());
        out.println("tensors:      " + r.get("tensor_count")
                + (ignored.isEmpty() ? "" : " (ignored from the source: " + ignored.size() + ", e.g. "
                + WeightsFormatException.oneLine(ignored.getFirst()) + ")"));
        out.println("parameters:   " + String.format(Locale.ROOT, "%,d", (Long) r.get("parameter_count")));
        StringBuilder dt = new StringBuilder();
        for (Map.Entry<String, Integer> e : ((Map<String, Integer>) r.get("dtypes")).entrySet()) {
            if (!dt.isEmpty()) dt.append(", ");
            dt.append(e.getKey()).append(" x").append(e.getValue());
        }
        out.println("dtypes:       " + (dt.isEmpty() ? "-" : dt));
        if (r.get("summary") != null) {
            out.println("architecture: " + r.get("summary"));
            out.println("heads from:   " + r.get("heads_source"));
        }
        Map<String, String> md = (Map<String, String>) r.get("metadata");
        if (md.isEmpty()) {
            out.println("metadata:     -");
        } else {
            boolean first = true;
            for (Map.Entry<String, String> e : md.entrySet()) {
                out.println((first ? "metadata:     " : "              ") + WeightsFormatException.oneLine(e.getKey()) + " = "
                        + WeightsFormatException.oneLine(e.getValue()));
                first = false;
            }
        }
        if (listTensors || r.get("summary") == null) {
            for (Object o : (List<Object>) r.get("tensors")) {
                Map<String, Object> t = (Map<String, Object>) o;
                out.println("  " + WeightsFormatException.oneLine(String.valueOf(t.get("name"))) + " " + t.get("dtype") + " " + t.get("shape"));
            }
        }
    }
}
