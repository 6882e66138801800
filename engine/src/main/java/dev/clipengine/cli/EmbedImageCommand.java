package dev.clipengine.cli;

import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.model.VisionOutput;
import dev.clipengine.weights.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "embed-image", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Prints CLIP's image embedding (the projected class token, not normalized) of one image.",
        footerHeading = "%nEXAMPLES%n",
        footer = {
                "  java -jar engine.jar embed-image --model ViT-B/16 --image photo.jpg",
                "  java -jar engine.jar embed-image --model b16.safetensors --image photo.jpg \\",
                "      --size 336 --no-exif --json",
                "",
                "EXIT STATUS",
                "  0 on success; 2 on bad arguments or unusable input (one line on stderr)."})
final class EmbedImageCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    ImageOptions image;

    /** Short side resized to S (PIL bicubic), centre crop SxS; default the model's size, bicubic positions. */
    @Mixin
    SizeOptions sizing;

    @Option(names = "--json", description = "Print {\"size\":S,\"grid\":[gh,gw],\"embedding\":[…]}.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PositionalInterpolation interp = sizing.interpolation(PositionalInterpolation.BICUBIC);
        java.io.PrintWriter out = spec.commandLine().getOut();
        image.checkHeader();   // a broken image or a bomb is refused before the model loads
        try (ClipModel clip = model.load(new Progress(spec.commandLine().getErr(), spec.name()))) {
            int size = sizing.size(clip.config().imageSize());
            clip.checkImageSize(size);
            RgbImage img = image.read();
            VisionOutput encoded = clip.encodeImage(img, size, interp);
            float[] embedding = encoded.imageEmbedding();
            if (json) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("size", size);
                r.put("grid", new int[] {encoded.gridH(), encoded.gridW()});
                r.put("embedding", embedding);
                out.println(Json.write(r));
            } else {
                out.println(image.image + " (" + img.width() + "x" + img.height() + ") at " + size + ", grid "
                        + encoded.gridH() + "x" + encoded.gridW() + "\n  embedding[" + embedding.length + "]: " + Output.preview(embedding));
            }
        }
        out.flush();
        return 0;
    }
}
