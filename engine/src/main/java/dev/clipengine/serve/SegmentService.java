package dev.clipengine.serve;

import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.model.ClipModel;
import dev.clipengine.segment.Segmentation;
import dev.clipengine.segment.Segmenter;
import dev.clipengine.segment.SlideSegmenter;
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
            switch (request.plan()) {
                case SegmentRequest.Cliptrase c -> new Segmenter(model, c.options());
                case SegmentRequest.Slide s -> new SlideSegmenter(model, s.options());
            }
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
        Rendered r = switch (request.plan()) {
            case SegmentRequest.Cliptrase c -> cliptrase(c, rgb, j);
            case SegmentRequest.Slide s -> slide(s, rgb, j);
        };
        long t2 = System.nanoTime();
        int[] colors = Palette.forNames(r.names);
        List<String> hex = new ArrayList<>();
        for (int i = 0; i < r.names.length; i++) hex.add(String.format(Locale.ROOT, "#%06x", colors[i]));
        j.put("classes", List.of(r.names));
        j.put("colors", hex);
        j.put("width", r.width);
        j.put("height", r.height);
        j.put("image_width", rgb.width());
        j.put("image_height", rgb.height());
        j.putAll(r.extra);
        j.put("legend", legend(r, hex));
        byte[] labels = request.output() == SegmentRequest.Output.OVERLAY ? null
                : png(LabelMapWriter.toImage(r.labels, r.width, r.height, r.names));
        byte[] overlay = request.output() == SegmentRequest.Output.LABELS ? null
                : png(OverlayRenderer.render(r.pixels.rgb(), r.width, r.height, r.labels, r.names));
        long t3 = System.nanoTime();
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("decode", (t1 - t0) / 1e6);
        timings.putAll(r.timings);
        timings.put("render", (t3 - t2) / 1e6);
        j.put("timings_ms", timings);
        return new SegmentReply(j, labels, overlay);
    }

    /** A label map ready to render: the pixels it is aligned with, its labels, one name per label. */
    private record Rendered(RgbImage pixels, int width, int height, int[] labels, String[] names, Map<String, Object> extra,
                            Map<String, Double> timings) {
    }

    private Rendered cliptrase(SegmentRequest.Cliptrase c, RgbImage rgb, Map<String, Object> j) {
        Segmentation s = new Segmenter(model, c.options()).segment(rgb, c.vocabulary());
        String[] names = new String[s.vocabulary().labelCount()];
        for (int i = 0; i < names.length; i++) names[i] = s.vocabulary().labelName(i);
        j.put("protocol", c.options().protocol().name().toLowerCase(Locale.ROOT));
        j.put("size", c.options().size());
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("grid", new int[] {s.gridH(), s.gridW()});
        extra.put("clusters", s.clusters());
        extra.put("noise_patches", s.noisePatches());
        extra.putAll(s.placement().json());   // where the map lies on the image (a crop, or windows of the whole)
        return new Rendered(s.image(), s.image().width(), s.image().height(), s.labels(), names, extra, s.timingsMs());
    }

    private Rendered slide(SegmentRequest.Slide sl, RgbImage rgb, Map<String, Object> j) {
        SlideSegmenter.Result r = new SlideSegmenter(model, sl.options()).segment(rgb, sl.vocabulary());
        String[] names = new String[r.vocabulary().classCount()];
        for (int i = 0; i < names.length; i++) names[i] = r.vocabulary().className(i);
        j.put("protocol", "slide");
        j.put("size", sl.options().shortSide());
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("resized", new int[] {r.resizedWidth(), r.resizedHeight()});
        extra.put("crop", sl.options().crop());
        extra.put("stride", sl.options().stride());
        extra.put("windows", r.windows());
        return new Rendered(rgb, r.width(), r.height(), r.labels(), names, extra, r.timingsMs());
    }

    /** The labels present, largest share first: what the page draws as the legend (and the overlay's legend lists). */
    private static List<Map<String, Object>> legend(Rendered r, List<String> hex) {
        long[] counts = new long[r.names.length];
        for (int l : r.labels) counts[l]++;
        List<Integer> present = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) if (counts[i] > 0) present.add(i);
        present.sort((a, b) -> counts[a] != counts[b] ? Long.compare(counts[b], counts[a]) : Integer.compare(a, b));
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i : present) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("label", i);
            e.put("name", r.names[i]);
            e.put("color", hex.get(i));
            e.put("fraction", counts[i] / (double) r.labels.length);
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
