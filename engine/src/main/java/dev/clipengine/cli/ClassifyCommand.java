package dev.clipengine.cli;

import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.model.ZeroShot;
import dev.clipengine.weights.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Zero-shot classification: scores an image against text labels.",
                "logit = exp(logit_scale) * cosine(image embedding, text embedding); probabilities are their softmax."},
        footerHeading = "%nEXAMPLES%n",
        footer = {
                "  java -jar engine.jar classify --model ViT-B/16 --image photo.jpg \\",
                "      --labels \"a photo of a cat.|a photo of a dog.\"",
                "  java -jar engine.jar classify --model b16.safetensors --image photo.jpg \\",
                "      --labels \"road|beach|forest\" --json",
                "",
                "EXIT STATUS",
                "  0 on success; 2 on bad arguments or unusable input (one line on stderr)."})
final class ClassifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    ImageOptions image;

    /** Short side resized to S (PIL bicubic), centre crop SxS; default the model's size, bicubic positions. */
    @Mixin
    SizeOptions sizing;

    @Option(names = "--labels", required = true, paramLabel = "L1|L2|…",
            description = "Texts separated by '|', e.g. \"a photo of a dog.|a photo of a cat.\"")
    String labels;

    @Option(names = "--json", description = "Print {\"labels\":[…],\"logits\":[…],\"probs\":[…]}.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<String> texts = parseLabels(labels);
        var interp = sizing.interpolation(PositionalInterpolation.BICUBIC);
        java.io.PrintWriter out = spec.commandLine().getOut();
        image.checkHeader();   // a broken image or a bomb is refused before the model loads
        try (ClipModel clip = model.load(new Progress(spec.commandLine().getErr(), spec.name()))) {
            int size = sizing.size(clip.config().imageSize());
            clip.checkImageSize(size);
            RgbImage img = image.read();
            float[] imageEmbedding = clip.encodeImage(img, size, interp).imageEmbedding();
            float[][] textEmbeddings = new float[texts.size()][];
            for (int i = 0; i < texts.size(); i++) textEmbeddings[i] = clip.embedText(texts.get(i)).embedding();
            float[] logits = ZeroShot.logits(imageEmbedding, textEmbeddings, clip.logitScale());
            float[] probs = ZeroShot.softmax(logits);
            if (json) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("labels", texts);
                r.put("logits", logits);
                r.put("probs", probs);
                out.println(Json.write(r));
            } else {
                Integer[] order = new Integer[texts.size()];
                for (int i = 0; i < order.length; i++) order[i] = i;
                Arrays.sort(order, (a, b) -> Float.compare(probs[b], probs[a]));
                for (int i : order) {
                    out.printf("%6.2f%%  %8.4f  %s%n", 100 * probs[i], logits[i], texts.get(i));
                }
            }
        }
        out.flush();
        return 0;
    }

    static List<String> parseLabels(String spec) {
        List<String> out = new ArrayList<>();
        for (String s : spec.split("\\|", -1)) {
            if (s.isBlank()) {
                throw new IllegalArgumentException(spec.isBlank() ? "empty label list: give --labels \"a photo of a dog.|a photo of a cat.\""
                        : "empty label in --labels \"" + spec + "\"");
            }
            out.add(s.strip());
        }
        return out;
    }
}
