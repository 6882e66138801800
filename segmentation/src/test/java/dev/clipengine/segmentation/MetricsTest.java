package dev.clipengine.segmentation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferUShort;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Confusion matrix and both metric definitions against brute-force counts on small hand-made label maps. */
class MetricsTest {

    /** Brute force: per class, count tp / gt / pred by scanning the pixels directly (no matrix). */
    static double[][] bruteForce(int[][] gts, int[][] preds, int n) {
        long[] tp = new long[n], gt = new long[n], pr = new long[n];
        long total = 0, correct = 0;
        for (int i = 0; i < gts.length; i++) {
            for (int p = 0; p < gts[i].length; p++) {
                int g = gts[i][p], q = preds[i][p];
                if (g < 0 || g >= n) continue;
                total++;
                gt[g]++;
                if (q >= 0 && q < n) pr[q]++;
                if (q == g) {
                    tp[g]++;
                    correct++;
                }
            }
        }
        double[] iou = new double[n], iouRef = new double[n];
        double mIoU = 0, mAcc = 0, fw = 0, mIoURef = 0, mAccRef = 0, fwRef = 0;
        int iouN = 0, accN = 0, refN = 0;
        for (int c = 0; c < n; c++) {
            long union = gt[c] + pr[c] - tp[c];
            iou[c] = union == 0 ? Double.NaN : tp[c] / (double) union;
            iouRef[c] = tp[c] / (union + 0.01);
            if (union > 0) {
                mIoU += iou[c];
                iouN++;
            }
            if (gt[c] > 0) {
                mAcc += tp[c] / (double) gt[c];
                accN++;
                fw += gt[c] / (double) total * iou[c];
                mIoURef += iouRef[c];
                refN++;
                fwRef += gt[c] / (double) total * iouRef[c];
            }
            mAccRef += tp[c] / (gt[c] + 0.01);
        }
        return new double[][] {{mIoU / iouN, correct / (double) total, mAcc / accN, fw},
                {mIoURef / refN, correct / (double) total, mAccRef / n, fwRef}, iou, iouRef};
    }

    @Test
    void handMadeMapsWithIgnoreAndAbsentClasses() {
        // 4 classes; class 3 never in GT but predicted once; class 2 in neither; -1 = ignore; 7 = invalid prediction
        int[][] gt = {{0, 0, 1, 1, -1, 1}, {0, 1, 1, -1, 0, 0}};
        int[][] pred = {{0, 1, 1, 1, 3, 3}, {0, 1, 0, 2, 0, 7}};
        ConfusionMatrix m = new ConfusionMatrix(4);
        for (int i = 0; i < gt.length; i++) m.add(gt[i], pred[i]);
        // counted pixels (GT not ignored): 10, of which 6 correct. Class 0: GT 5, predicted 4, tp 3 -> IoU 3/6, Acc 3/5.
        // Class 1: GT 5, predicted 4, tp 3 -> IoU 3/6. Class 3: predicted once, no GT -> IoU 0. Class 2 is predicted only
        // on an ignored pixel -> no GT, no prediction -> NaN. The invalid prediction 7 is a miss of its GT class 0.
        SegmentationMetrics st = SegmentationMetrics.standard(m), ref = SegmentationMetrics.reference(m);
        assertEquals(3.0 / 6.0, st.iou()[0], 1e-12);
        assertEquals(3.0 / 5.0, st.acc()[0], 1e-12);
        assertEquals(3.0 / 6.0, st.iou()[1], 1e-12);
        assertEquals(0.0, st.iou()[3], "predicted, absent from GT: IoU 0 and counted in the standard mIoU");
        assertTrue(Double.isNaN(st.iou()[2]), "neither in GT nor predicted (the ignored pixel's prediction does not count)");
        assertEquals((0.5 + 0.5 + 0.0) / 3, st.mIoU(), 1e-12);
        assertEquals(6.0 / 10.0, st.pAcc(), 1e-12);
        assertEquals((0.6 + 0.6) / 2, st.mAcc(), 1e-12);
        assertEquals((5.0 / 10) * 0.5 + (5.0 / 10) * 0.5, st.fwIoU(), 1e-12);
        assertEquals((3 / 6.01 + 3 / 6.01) / 2, ref.mIoU(), 1e-12, "reference: only GT-present classes, +0.01");
        assertEquals((3 / 5.01 + 3 / 5.01 + 0 + 0) / 4, ref.mAcc(), 1e-12, "reference: mAcc over all classes");
        double[][] bf = bruteForce(gt, pred, 4);
        check(bf, st, ref);
    }

    @Test
    void randomMapsMatchBruteForce() {
        Random r = new Random(11);
        for (int trial = 0; trial < 20; trial++) {
            int n = 2 + r.nextInt(6), images = 1 + r.nextInt(4);
            int[][] gt = new int[images][], pred = new int[images][];
            ConfusionMatrix m = new ConfusionMatrix(n);
            for (int i = 0; i < images; i++) {
                int len = 1 + r.nextInt(200);
                gt[i] = new int[len];
                pred[i] = new int[len];
                for (int p = 0; p < len; p++) {
                    gt[i][p] = r.nextInt(n + 2) - 1;       // -1 and n are ignored
                    pred[i][p] = r.nextInt(n + 1);          // n = outside the classes
                }
                m.add(gt[i], pred[i]);
            }
            check(bruteForce(gt, pred, n), SegmentationMetrics.standard(m), SegmentationMetrics.reference(m));
        }
    }

    static void check(double[][] bf, SegmentationMetrics st, SegmentationMetrics ref) {
        assertEquals(bf[0][0], st.mIoU(), 1e-12, "mIoU");
        assertEquals(bf[0][1], st.pAcc(), 1e-12, "pAcc");
        assertEquals(bf[0][2], st.mAcc(), 1e-12, "mAcc");
        assertEquals(bf[0][3], st.fwIoU(), 1e-12, "fwIoU");
        assertEquals(bf[1][0], ref.mIoU(), 1e-12, "reference mIoU");
        assertEquals(bf[1][1], ref.pAcc(), 1e-12, "reference pAcc");
        assertEquals(bf[1][2], ref.mAcc(), 1e-12, "reference mAcc");
        assertEquals(bf[1][3], ref.fwIoU(), 1e-12, "reference fwIoU");
        for (int c = 0; c < bf[2].length; c++) {
            assertEquals(bf[2][c], st.iou()[c], 1e-12, "IoU " + c);
            assertEquals(bf[3][c], ref.iou()[c], 1e-12, "reference IoU " + c);
        }
    }

    @Test
    void largeCountsDoNotOverflow() {
        ConfusionMatrix m = new ConfusionMatrix(2);
        int[] g = new int[1 << 20], p = new int[1 << 20];
        for (int i = 0; i < 2049; i++) m.add(g, p);    // 2049·2^20 pixels > 2^31
        assertEquals(2049L << 20, m.get(0, 0));
        assertEquals(1.0, SegmentationMetrics.standard(m).pAcc());
    }

    @Test
    void sixteenBitLabelMapsAndConventions(@TempDir Path tmp) throws IOException {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_USHORT_GRAY);
        short[] d = ((DataBufferUShort) img.getRaster().getDataBuffer()).getData();
        int[] stored = {0, 1, 300, 459, 65535, 460};
        for (int i = 0; i < 6; i++) d[i] = (short) stored[i];
        Path f = tmp.resolve("l.png");
        ImageIO.write(img, "png", f.toFile());
        LabelMaps.Map m = LabelMaps.read(f);
        assertEquals(3, m.width());
        assertEquals(2, m.height());
        assertEquals(java.util.Arrays.toString(stored), java.util.Arrays.toString(m.values()));
        // PC459-style: 0-458 classes, 65535 ignored, anything else outside ignored too
        LabelConvention c459 = new LabelConvention(459, false, 65535);
        assertEquals("[0, 1, 300, -1, -1, -1]", java.util.Arrays.toString(c459.apply(m.values().clone())));
        // ADE-style reduce-zero-label
        LabelConvention ade = new LabelConvention(150, true, 255);
        assertEquals(-1, ade.toClass(0));
        assertEquals(0, ade.toClass(1));
        assertEquals(149, ade.toClass(150));
        assertEquals(-1, ade.toClass(255));
    }
}
