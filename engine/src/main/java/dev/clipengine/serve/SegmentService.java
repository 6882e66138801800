package dev.clipengine.serve;

import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.segment.SegmentResult;
import dev.clipengine.segmentation.LabelMapWriter;
import dev.clipengine.segmentation.OverlayRenderer;
import dev.clipengine.segmentation.Palette;

import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs one {@link SegmentRequest} on the loaded model: check the declared pixel count, decode, segment, render. The
 * label map and overlay are drawn by the code {@code segment} writes its files with ({@link LabelMapWriter#toImage},
 * {@link OverlayRenderer#render}, {@link LabelMapWriter#encodePng}), so the same inputs give the same PNG bytes.
 * Text features are cached per (model, vocabulary, templates) by the engine itself, so a vocabulary costs the text
 * tower once. Stateless apart from the model: called from several worker threads at once.
 */
final class SegmentService {

    private final ClipModel model;
    private final long maxPixels;

    SegmentService(ClipModel model, long maxPixels) {
        this.model = model;
        this.maxPixels = maxPixels;
    }

    /** Builds the segmenter now, so that a size the model cannot take is a 400 before the request queues. */
    void check(SegmentRequest request) {
        try {
            request.plan().options().create(model);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, e.getMessage());
        }
    }

    SegmentReply run(SegmentRequest request) throws IOException {
        long t0 = System.nanoTime();
        ImageHeader.read(request.image()).ifPresent(size -> {
            if (size.pixels() > maxPixels) {
                throw new HttpError(413, request.filename() + ": image of " + size.width() + "x" + size.height() + " ("
                        + size.pixels() + " pixels) exceeds this server's limit of " + maxPixels + " pixels");
            }
        });
        RgbImage rgb;
        try {
            rgb = ImageDecoder.read(request.image(), request.filename(), request.exif());
        } catch (IOException e) {
            throw new HttpError(400, e.getMessage());
        }
        long t1 = System.nanoTime();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("image", request.filename());
        j.put("method", request.plan().method());
        SegmentRequest.Plan plan = request.plan();
        SegmentResult r = plan.options().create(model).segment(rgb, plan.vocabulary());
        long t2 = System.nanoTime();
        String[] names = r.labelNames();
        int[] colors = Palette.forNames(names);
        List<String> hex = new ArrayList<>();
        for (int i = 0; i < names.length; i++) hex.add(String.format(Locale.ROOT, "#%06x", colors[i]));
        j.put("classes", List.of(names));
        j.put("colors", hex);
        j.put("width", r.width());
        j.put("height", r.height());
        j.put("image_width", rgb.width());
        j.put("image_height", rgb.height());
        Map<String, Object> details = new LinkedHashMap<>(r.details());
        details.remove("method");   // said above
        j.putAll(details);
        j.put("legend", legend(r.labels(), names, hex));
        byte[] labels = request.output() == SegmentRequest.Output.OVERLAY ? null
                : png(LabelMapWriter.toImage(r.labels(), r.width(), r.height(), names));
        byte[] overlay = request.output() == SegmentRequest.Output.LABELS ? null
                : png(OverlayRenderer.render(r.image().rgb(), r.width(), r.height(), r.labels(), names));
        long t3 = System.nanoTime();
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("decode", (t1 - t0) / 1e6);
        timings.putAll(r.timingsMs());
        timings.put("render", (t3 - t2) / 1e6);
        j.put("timings_ms", timings);
        return new SegmentReply(j, labels, overlay);
    }

    /** The labels present, largest share first: what the page draws as the legend (and the overlay's legend lists). */
    private static List<Map<String, Object>> legend(int[] labels, String[] names, List<String> hex) {
        long[] counts = new long[names.length];
        for (int l : labels) counts[l]++;
        List<Integer> present = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) if (counts[i] > 0) present.add(i);
        present.sort((a, b) -> counts[a] != counts[b] ? Long.compare(counts[b], counts[a]) : Integer.compare(a, b));
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i : present) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("label", i);
            e.put("name", names[i]);
            e.put("color", hex.get(i));
            e.put("fraction", counts[i] / (double) labels.length);
            out.add(e);
        }
        return out;
    }

    private static byte[] png(RenderedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try {
            LabelMapWriter.encodePng(image, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
