package dev.clipengine.cli;

import dev.clipengine.segmentation.ConfusionMatrix;
import dev.clipengine.segmentation.SegmentationMetrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code eval}'s report: both metric definitions as JSON (percent, NaN as null) and as Markdown tables. */
final class MetricsReport {

    private MetricsReport() {
    }

    static Map<String, Object> json(Map<String, Object> header, ConfusionMatrix m, List<String> classNames) {
        Map<String, Object> j = new LinkedHashMap<>(header);
        for (SegmentationMetrics s : List.of(SegmentationMetrics.standard(m), SegmentationMetrics.reference(m))) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("definition", s.definition().equals("standard")
                    ? "mmseg IoUMetric: NaN classes (no GT and no prediction) left out of mIoU, classes without GT out of mAcc; fwIoU as detectron2"
                    : "CLIPtrase reference (cliptrase.md 5.1): +0.01 in denominators, mIoU over GT-present classes, mAcc over all classes");
            d.put("mIoU", pct(s.mIoU()));
            d.put("pAcc", pct(s.pAcc()));
            d.put("mAcc", pct(s.mAcc()));
            d.put("fwIoU", pct(s.fwIoU()));
            Map<String, Object> per = new LinkedHashMap<>();
            for (int c = 0; c < classNames.size(); c++) {
                Map<String, Object> pc = new LinkedHashMap<>();
                pc.put("iou", pct(s.iou()[c]));
                pc.put("acc", pct(s.acc()[c]));
                pc.put("gt_pixels", s.gtPixels()[c]);
                pc.put("pred_pixels", s.predPixels()[c]);
                per.put(c + " " + classNames.get(c), pc);
            }
            d.put("per_class", per);
            j.put(s.definition(), d);
        }
        return j;
    }

    static String markdown(String title, ConfusionMatrix m, List<String> classNames) {
        SegmentationMetrics st = SegmentationMetrics.standard(m), ref = SegmentationMetrics.reference(m);
        StringBuilder b = new StringBuilder("## ").append(title).append("\n\n");
        b.append("| definition | mIoU | pAcc | mAcc | fwIoU |\n| --- | ---: | ---: | ---: | ---: |\n");
        for (SegmentationMetrics s : List.of(st, ref)) {
            b.append("| ").append(s.definition().equals("standard") ? "standard (mmseg)" : "CLIPtrase reference (+0.01)")
                    .append(" | ").append(fmt(s.mIoU())).append(" | ").append(fmt(s.pAcc())).append(" | ").append(fmt(s.mAcc()))
                    .append(" | ").append(fmt(s.fwIoU())).append(" |\n");
        }
        b.append("\n| class | IoU | Acc | IoU (reference) | GT pixels | predicted pixels |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (int c = 0; c < classNames.size(); c++) {
            b.append("| ").append(c).append(' ').append(classNames.get(c).replace("|", "/")).append(" | ").append(fmt(st.iou()[c]))
                    .append(" | ").append(fmt(st.acc()[c])).append(" | ").append(fmt(ref.iou()[c])).append(" | ")
                    .append(st.gtPixels()[c]).append(" | ").append(st.predPixels()[c]).append(" |\n");
        }
        return b.toString();
    }

    private static Double pct(double v) {
        return Double.isNaN(v) ? null : 100 * v;
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", 100 * v);
    }
}
