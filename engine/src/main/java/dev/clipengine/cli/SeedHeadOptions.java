package dev.clipengine.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The options of the seed heads ({@code --method reclip++|zegclip|tagclip}, docs/seed-heads.md): what their
 * checkpoints need beside them.
 */
final class SeedHeadOptions {

    @Option(names = "--class-embeddings", paramLabel = "FILE",
            description = "reclip++/zegclip/tagclip: the class text features the checkpoint was trained with: a .npy [C, E] "
                    + "(fp16 or fp32) or a torch.save of one [C, E] tensor (.pth), one row per --classes name, in order "
                    + "(default: recomputed with the checkpoint's text tower, in fp32: ReCLIP++'s 85 templates, ZegCLIP's "
                    + "\"a photo of a {}\").")
    Path classEmbeddings;

    @Option(names = "--seen-classes", paramLabel = "RANGES",
            description = "zegclip/tagclip: the indices the checkpoint saw in training, e.g. 0-14 or 0-4,7 (seen classes get "
                    + "the -0.1 bias and TagCLIP's (1-trusty) weight); 'none' for a transductive checkpoint (default: the "
                    + "base_class of the config inside the checkpoint).")
    String seenClasses;

    @Option(names = "--pd-threshold", paramLabel = "P",
            description = "reclip++: drop classes whose softmax(10 logits) never reaches P on the grid (the dataset's PD: VOC 1.0, "
                    + "Context 0.85, ADE 0.5, Cityscapes 0.5, COCO-Stuff 0.95; default 0 = off).")
    Float pdThreshold;

    @Option(names = "--trusty-weighting", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "tagclip: weight seen classes by (1 - trusty) and unseen ones by trusty (default on; --no-trusty-weighting: off).")
    boolean trustyWeighting;

    /** The methods these options serve. */
    static boolean isSeedHead(String method) {
        return method != null && List.of("reclip++", "zegclip", "tagclip").contains(method.toLowerCase(java.util.Locale.ROOT));
    }

    /** {@code 0-14,17} as a mask over {@code classes}; "none" = no class; an index out of range is a usage error. */
    static boolean[] parseSeen(String spec, int classes) {
        boolean[] seen = new boolean[classes];
        if (spec.strip().equalsIgnoreCase("none")) return seen;
        if (spec.strip().equalsIgnoreCase("all")) {
            java.util.Arrays.fill(seen, true);
            return seen;
        }
        List<String> bad = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) continue;
            try {
                int dash = p.indexOf('-', 1);
                int a = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).strip());
                int b = dash < 0 ? a : Integer.parseInt(p.substring(dash + 1).strip());
                if (a < 0 || b < a || b >= classes) {
                    bad.add(p);
                    continue;
                }
                for (int i = a; i <= b; i++) seen[i] = true;
            } catch (NumberFormatException e) {
                bad.add(p);
            }
        }
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException("--seen-classes '" + spec + "': " + String.join(", ", bad)
                    + " is not an index range within 0-" + (classes - 1) + " (" + classes + " classes)");
        }
        return seen;
    }
}
