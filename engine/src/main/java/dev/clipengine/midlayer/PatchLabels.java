package dev.clipengine.midlayer;

/**
 * ResCLIP's patch labels (docs/mid-layer-methods.md, "Preliminary segmentation"): the pixel labels tiled into
 * non-overlapping {@code patch×patch} blocks from the top-left (trailing rows and columns dropped), each block's
 * most frequent label, the smallest label on ties ({@code torch.mode}).
 */
final class PatchLabels {

    private PatchLabels() {
    }

    static int[] majority(int[] labels, int h, int w, int patch, int labelCount) {
        int gh = h / patch, gw = w / patch;
        int[] out = new int[gh * gw], votes = new int[labelCount];
        for (int r = 0; r < gh; r++) {
            for (int c = 0; c < gw; c++) {
                java.util.Arrays.fill(votes, 0);
                for (int y = r * patch; y < (r + 1) * patch; y++) {
                    for (int x = c * patch; x < (c + 1) * patch; x++) votes[labels[y * w + x]]++;
                }
                int best = 0;
                for (int l = 1; l < labelCount; l++) if (votes[l] > votes[best]) best = l;
                out[r * gw + c] = best;
            }
        }
        return out;
    }
}
