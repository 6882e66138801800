package dev.clipengine.weights;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * The architecture of a CLIP read from its tensor shapes under OpenAI names (widths, patch, image size, layer
 * counts, context, vocabulary); heads are not in the shapes ({@link HeadInference}).
 */
final class ArchitectureInference {

    private final Path file;

    ArchitectureInference(Path file) {
        this.file = file;
    }

    private Tensor need(Map<String, Tensor> m, String name, int rank) throws WeightsFormatException {
        Tensor t = m.get(name);
        if (t == null) throw new WeightsFormatException(file, "missing tensor '" + name + "'");
        if (t.rank() != rank) {
            throw new WeightsFormatException(file, "tensor '" + name + "': expected rank " + rank + ", found shape "
                    + Arrays.toString(t.shape()));
        }
        for (long d : t.shape()) {
            if (d > Integer.MAX_VALUE) {
                throw new WeightsFormatException(file, "tensor '" + name + "': dimension " + d + " is too large");
            }
        }
        return t;
    }

    private int layers(Map<String, Tensor> m, String prefix) throws WeightsFormatException {
        int max = -1;
        for (String n : m.keySet()) {
            if (!n.startsWith(prefix)) continue;
            int dot = n.indexOf('.', prefix.length());
            if (dot < 0) continue;
            String idx = n.substring(prefix.length(), dot);
            if (!idx.matches("\\d{1,5}")) continue;
            max = Math.max(max, Integer.parseInt(idx));
        }
        if (max < 0) throw new WeightsFormatException(file, "no '" + prefix + "*' tensors (no transformer layers)");
        return max + 1;
    }

    /** The architecture from shapes, with placeholder heads (1); heads are resolved afterwards. */
    ClipConfig fromShapes(Map<String, Tensor> m) throws WeightsFormatException {
        Tensor conv = need(m, "visual.conv1.weight", 4);
        int dv = conv.dim(0), patch = conv.dim(2);
        Tensor vpos = need(m, "visual.positional_embedding", 2);
        long tokens = vpos.shape()[0] - 1;
        int grid = (int) Math.round(Math.sqrt((double) tokens));
        if (tokens < 1 || (long) grid * grid != tokens) {
            throw new WeightsFormatException(file, "tensor 'visual.positional_embedding' has " + vpos.shape()[0]
                    + " rows; expected 1 + a square number of patches");
        }
        int vLayers = layers(m, "visual.transformer.resblocks.");
        int vMlp = need(m, "visual.transformer.resblocks.0.mlp.c_fc.weight", 2).dim(0);
        int embed = need(m, "visual.proj", 2).dim(1);
        int ctx = need(m, "positional_embedding", 2).dim(0);
        int vocab = need(m, "token_embedding.weight", 2).dim(0);
        int dt = need(m, "ln_final.weight", 1).dim(0);
        int tLayers = layers(m, "transformer.resblocks.");
        int tMlp = need(m, "transformer.resblocks.0.mlp.c_fc.weight", 2).dim(0);
        try {
            return new ClipConfig(embed, grid * patch, patch, dv, vLayers, 1, vMlp, ctx, vocab, dt, tLayers, 1, tMlp);
        } catch (IllegalArgumentException e) {
            throw new WeightsFormatException(file, "tensor shapes do not make a CLIP: " + e.getMessage());
        }
    }
}
