package dev.clipengine.segment;

import dev.clipengine.image.RgbImage;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One segmented image.
 *
 * @param image       the pixels the map is aligned with (the S×S crop, or the original image)
 * @param gridH       patch rows of the network input (of the whole resized image when it ran in windows)
 * @param labels      label per pixel, row-major, {@code image.width() × image.height()}; label C = background
 * @param rawLabels   per-pixel CLIP argmax before cluster voting; null for the {@code full} protocol, whose maps
 *                    may be too large to keep several of (likewise {@code rawGap} and {@code clusterMap})
 * @param rawGap      top-1 minus top-2 upsampled logit per pixel (small = near tie)
 * @param clusterMap  prototype argmax per pixel, or null when DBSCAN found no cluster
 * @param correlation the denoised correlation rows fed to DBSCAN, {@code [N×N]}; null when the image ran in several
 *                    windows (likewise {@code dbscanLabels})
 * @param dbscanLabels DBSCAN label per patch (-1 = noise)
 * @param clusters    DBSCAN clusters, summed over the windows
 * @param placement   where the map lies on the original image, and the windows it was computed in
 */
public record Segmentation(Vocabulary vocabulary, RgbImage image, int gridH, int gridW, int[] labels, int[] rawLabels,
                           float[] rawGap, int[] clusterMap, float[] correlation, int[] dbscanLabels, int clusters,
                           int noisePatches, Map<String, Double> timingsMs, MapPlacement placement) {

    /** Share of pixels of each label present, by label name, largest first. */
    public Map<String, Double> classFractions() {
        int[] counts = new int[vocabulary.labelCount()];
        for (int l : labels) counts[l]++;
        Integer[] order = new Integer[counts.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> counts[b] != counts[a] ? Integer.compare(counts[b], counts[a]) : Integer.compare(a, b));
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i : order) {
            if (counts[i] > 0) out.put(vocabulary.labelName(i), counts[i] / (double) labels.length);
        }
        return out;
    }
}
