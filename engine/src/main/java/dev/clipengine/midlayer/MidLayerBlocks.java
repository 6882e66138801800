package dev.clipengine.midlayer;

/**
 * Which blocks (numbered 1..L) the mid-layer methods read, by tower depth (docs/mid-layer-methods.md, "Blocks").
 * For ViT-B/16's 12 blocks these are the numbers the official code hard-codes; for 24 blocks (ViT-L/14) SC-CLIP's
 * are those its first commit lists for ViT-L (LOF on the penultimate block), ResCLIP's RCS span is ours: its
 * 6..9 of 12 at the same relative depth, 11..18. Other depths are refused.
 *
 * @param outlierBlock     SC-CLIP: the block whose patch tokens are scored and repaired (main-branch input)
 * @param priorBlock       SC-CLIP: the block whose repaired similarities give A9 and the attention prior
 * @param postBlock        SC-CLIP: the block whose (unrepaired) similarities give A4, applied last
 * @param fusionFirst      SC-CLIP: first block of the fused residual-stream sum
 * @param fusionLast       SC-CLIP: last block of that sum (inclusive)
 * @param clsWeight        SC-CLIP: weight of the class token added back (0.3; 0.1 for ViT-L)
 * @param rcsFirst         ResCLIP: first block whose attention enters RCS
 * @param rcsLast          ResCLIP: last one (inclusive)
 */
public record MidLayerBlocks(int outlierBlock, int priorBlock, int postBlock, int fusionFirst, int fusionLast,
                             float clsWeight, int rcsFirst, int rcsLast) {

    public static MidLayerBlocks forDepth(int layers, String method) {
        return switch (layers) {
            case 12 -> new MidLayerBlocks(11, 9, 4, 4, 10, 0.3f, 6, 9);
            case 24 -> new MidLayerBlocks(23, 17, 7, 9, 19, 0.1f, 11, 18);
            default -> throw new IllegalArgumentException(method + " needs a 12-block (ViT-B) or 24-block (ViT-L) image"
                    + " tower; this model has " + layers + " blocks");
        };
    }
}
