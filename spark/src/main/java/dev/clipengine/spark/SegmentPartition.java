package dev.clipengine.spark;

import dev.clipengine.image.ImageDecoder;
import dev.clipengine.image.RgbImage;
import dev.clipengine.segment.SegmentResult;
import dev.clipengine.segment.SegmentationMethod;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.segmentation.AtomicFiles;
import dev.clipengine.segmentation.LabelMapWriter;
import dev.clipengine.segmentation.OverlayRenderer;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.WeightsMain;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One task: the inputs of a partition, one after another, on this JVM's shared model. Each input gives
 * exactly one row; whatever goes wrong with one input (missing, unreadable, not an image, an aspect
 * the protocol cannot take) is that row's {@code error}, and the task goes on.
 */
final class SegmentPartition implements FlatMapFunction<Iterator<String>, Row> {

    private final Broadcast<JobSpec> job;
    private final LongAccumulator segmented, errors, resumed;

    SegmentPartition(Broadcast<JobSpec> job, LongAccumulator segmented, LongAccumulator errors, LongAccumulator resumed) {
        this.job = job;
        this.segmented = segmented;
        this.errors = errors;
        this.resumed = resumed;
    }

    @Override
    public Iterator<Row> call(Iterator<String> inputs) throws IOException {
        JobSpec spec = job.value();
        // the model is loaded (by the first task of this JVM only) when an input needs it: a partition whose
        // inputs --resume finds done loads nothing
        Supplier<SegmentationMethod> segmenter = new Supplier<>() {
            private SegmentationMethod made;

            @Override
            public SegmentationMethod get() {
                if (made == null) {
                    try {
                        made = spec.options().create(ModelCache.get(spec.model()));
                    } catch (IOException e) {
                        // the task fails (and the job, after Spark's retries), as a model that cannot load must
                        throw new UncheckedIOException(e);
                    }
                }
                return made;
            }
        };
        Vocabulary vocabulary = spec.vocabulary();
        String worker = Workers.describe();
        // rows are produced as Spark pulls them: a partition never holds more than one image at a time
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return inputs.hasNext();
            }

            @Override
            public Row next() {
                return ResultRows.toRow(process(spec, segmenter, vocabulary, worker, inputs.next()));
            }
        };
    }

    private Map<String, Object> process(JobSpec spec, Supplier<SegmentationMethod> lazySegmenter, Vocabulary vocabulary, String worker, String input) {
        Configuration conf = spec.hadoop().get();
        String stem = InputListing.stem(input);
        Path out = new Path(spec.out());
        Path labels = new Path(out, "labels/" + stem + ".labels.png");
        Path overlay = spec.overlays() ? new Path(out, "overlays/" + stem + ".overlay.png") : null;
        Path rowFile = new Path(out, "rows/" + stem + ".json");
        try {
            if (spec.resume()) {
                Map<String, Object> previous = previousRow(conf, input, labels, overlay, rowFile);
                if (previous != null) {
                    previous.put("resumed", true);
                    resumed.add(1);
                    return previous;
                }
            }
        } catch (IOException | RuntimeException e) {
            errors.add(1);
            return ResultRows.error(input, worker, WeightsMain.describe(e));
        }
        SegmentationMethod segmenter = lazySegmenter.get();   // outside the per-input handling: a model load failure fails the task
        try {
            Map<String, Double> timings = new LinkedHashMap<>();
            long t0 = System.nanoTime();
            byte[] bytes = read(conf, input);
            long t1 = System.nanoTime();
            RgbImage image = ImageDecoder.read(bytes, input, spec.exif());
            long t2 = System.nanoTime();
            // no text features broadcast when the driver found every input done and one was not after all
            SegmentResult s = segmenter.segment(image, vocabulary, spec.text());
            long t3 = System.nanoTime();
            int w = s.width(), h = s.height();
            String[] names = s.labelNames();
            // the same writers as engine.jar's segment, so the PNGs are the same bytes
            Outputs.write(conf, labels, p -> LabelMapWriter.writePng(p, s.labels(), w, h, names));
            if (overlay != null) Outputs.write(conf, overlay, p -> OverlayRenderer.writePng(p, s.image().rgb(), w, h, s.labels(), names));
            long t4 = System.nanoTime();
            timings.put("read", ms(t1 - t0));
            timings.put("decode", ms(t2 - t1));
            timings.putAll(s.timingsMs());
            timings.put("write", ms(t4 - t3));

            Map<String, Object> row = new LinkedHashMap<>();
            row.put("path", input);
            row.put("width", w);
            row.put("height", h);
            row.put("image_width", image.width());
            row.put("image_height", image.height());
            Map<String, Double> fractions = s.classFractions();
            row.put("classes_present", new ArrayList<>(fractions.keySet()));
            row.put("class_fractions", fractions);
            // CLIPtrase's own facts; null for the methods that do not cluster
            row.put("clusters", s.details().get("clusters"));
            row.put("noise_patches", s.details().get("noise_patches"));
            row.put("timings_ms", timings);
            row.put("labels", labels.toString());
            row.put("overlay", overlay == null ? null : overlay.toString());
            row.put("worker", worker);
            row.put("resumed", false);
            row.put("error", null);
            // written last: its presence tells --resume that the image's other outputs are complete
            String json = Json.write(row) + "\n";
            Outputs.write(conf, rowFile, p -> AtomicFiles.writeString(p, json));
            segmented.add(1);
            return row;
        } catch (IOException | RuntimeException e) {
            errors.add(1);
            return ResultRows.error(input, worker, WeightsMain.describe(e));
        }
    }

    /** The whole file through Hadoop's FileSystem, with errors that name it in one line. */
    private static byte[] read(Configuration conf, String input) throws IOException {
        Path p = new Path(input);
        FileSystem fs = p.getFileSystem(conf);
        try {
            FileStatus st = fs.getFileStatus(p);
            if (st.isDirectory()) throw new IOException("cannot read image " + input + ": is a directory");
            if (st.getLen() > Integer.MAX_VALUE - 16) throw new IOException("cannot read image " + input + ": file of " + st.getLen() + " bytes is too large");
            try (FSDataInputStream in = fs.open(p)) {
                return in.readAllBytes();
            }
        } catch (FileNotFoundException e) {
            throw new IOException("cannot read image " + input + ": no such file");
        } catch (org.apache.hadoop.security.AccessControlException e) {
            throw new IOException("cannot read image " + input + ": permission denied");
        }
    }

    /** The row an earlier run wrote for this input, when all its outputs exist; null otherwise. */
    private static Map<String, Object> previousRow(Configuration conf, String input, Path labels, Path overlay, Path rowFile) throws IOException {
        FileSystem fs = rowFile.getFileSystem(conf);
        if (!fs.exists(rowFile) || !fs.exists(labels) || (overlay != null && !fs.exists(overlay))) return null;
        String text;
        try (FSDataInputStream in = fs.open(rowFile)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (RuntimeException e) {
            return null;   // damaged by hand: segment again
        }
        if (!(parsed instanceof Map<?, ?> m) || !input.equals(m.get("path"))) return null;   // another input with this stem
        Map<String, Object> row = new LinkedHashMap<>();
        for (var e : m.entrySet()) row.put((String) e.getKey(), e.getValue());
        if (overlay != null) row.put("overlay", overlay.toString());
        return row;
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

}
