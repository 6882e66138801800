package dev.clipengine.segmentation;

/**
 * Segmentation metrics from a {@link ConfusionMatrix}, in two definitions (fractions, not percentages).
 *
 * <p>{@link #standard}: mmsegmentation's {@code IoUMetric} (as detectron2's {@code SemSegEvaluator}):
 * {@code IoU_c = tp/(gt_c + pred_c − tp)} and {@code Acc_c = tp/gt_c}, NaN where the denominator is 0 and left out
 * of the means; {@code pAcc = Σtp/Σgt}; {@code fwIoU = Σ_c gt_c·IoU_c / Σgt} (detectron2's; mmseg has none).
 *
 * <p>{@link #reference}: the CLIPtrase reference's {@code configs/metric.py} (docs/cliptrase.md §5.1):
 * {@code IoU_c = tp/(gt_c + pred_c − tp + 0.01)}, {@code mIoU} over the classes present in the ground truth,
 * {@code mAcc} = mean over <em>all</em> classes of {@code tp/(gt_c + 0.01)} (absent classes count 0),
 * {@code pAcc = trace/total}, {@code fwIoU = Σ_{gt_c>0} (gt_c/total)·IoU_c}.
 */
public record SegmentationMetrics(String definition, double mIoU, double pAcc, double mAcc, double fwIoU,
                                  double[] iou, double[] acc, long[] gtPixels, long[] predPixels) {

    public static SegmentationMetrics standard(ConfusionMatrix m) {
        return compute(m, false);
    }

    public static SegmentationMetrics reference(ConfusionMatrix m) {
        return compute(m, true);
    }

    private static SegmentationMetrics compute(ConfusionMatrix m, boolean reference) {
        int n = m.numClasses();
        long[] c = m.counts();
        long[] gt = new long[n], pred = new long[n], tp = new long[n];
        long total = 0, correct = 0;
        for (int g = 0; g < n; g++) {
            for (int p = 0; p <= n; p++) {
                long v = c[g * (n + 1) + p];
                gt[g] += v;
                if (p < n) pred[p] += v;
            }
            tp[g] = c[g * (n + 1) + g];
            total += gt[g];
            correct += tp[g];
        }
        double eps = reference ? 0.01 : 0.0;
        double[] iou = new double[n], acc = new double[n];
        double iouSum = 0, accSum = 0, fw = 0;
        int iouCount = 0, accCount = 0;
        for (int k = 0; k < n; k++) {
            long union = gt[k] + pred[k] - tp[k];
            iou[k] = reference ? tp[k] / (union + eps) : union == 0 ? Double.NaN : (double) tp[k] / union;
            acc[k] = reference ? tp[k] / (gt[k] + eps) : gt[k] == 0 ? Double.NaN : (double) tp[k] / gt[k];
            boolean inMean = reference ? gt[k] > 0 : union > 0;
            if (inMean) {
                iouSum += iou[k];
                iouCount++;
            }
            if (reference || gt[k] > 0) {
                accSum += acc[k];
                accCount++;
            }
            if (gt[k] > 0) fw += (double) gt[k] / total * iou[k];
        }
        double mIoU = iouCount == 0 ? Double.NaN : iouSum / iouCount;
        double mAcc = accCount == 0 ? Double.NaN : accSum / accCount;
        double pAcc = total == 0 ? Double.NaN : (double) correct / total;
        return new SegmentationMetrics(reference ? "reference" : "standard", mIoU, pAcc, mAcc, total == 0 ? Double.NaN : fw,
                iou, acc, gt, pred);
    }
}
