package dev.clipengine.cli;

import dev.clipengine.heads.SeedHeads;
import dev.clipengine.segment.SeedMethodOptions;
import dev.clipengine.weights.HeadCounts;
import picocli.CommandLine.Option;

import java.nio.file.Path;

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
        return SeedMethodOptions.isSeedHead(method);
    }

    /** {@code 0-14,17} as a mask over {@code classes}; "none" = no class; an index out of range is a usage error. */
    static boolean[] parseSeen(String spec, int classes) {
        return SeedHeads.parseSeen(spec, classes);
    }

    /** The engine's options for {@code method} with these and the shared ones ({@code --size}, {@code --crop}, …). */
    SeedMethodOptions resolve(String method, Path checkpoint, Integer size, Integer crop, Integer stride, HeadCounts heads) {
        return new SeedMethodOptions(method, checkpoint, classEmbeddings, size, crop, stride, seenClasses, pdThreshold,
                trustyWeighting, heads.vision() == null ? 0 : heads.vision(), heads.text() == null ? 0 : heads.text());
    }
}
