package dev.clipengine.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The results table: one row per input. A row is kept as an ordered map (also what
 * {@code OUT/rows/<stem>.json} holds, so {@code --resume} reads a skipped input's row back) and turned
 * into a Spark {@link Row} of {@link #SCHEMA}.
 */
final class ResultRows {

    private ResultRows() {
    }

    static final StructType SCHEMA = new StructType(new StructField[] {
            field("path", DataTypes.StringType, "the input, as a qualified URI"),
            field("width", DataTypes.IntegerType, "label map width (the S×S crop for --protocol cliptrase, else the image's)"),
            field("height", DataTypes.IntegerType, "label map height"),
            field("image_width", DataTypes.IntegerType, "decoded image width"),
            field("image_height", DataTypes.IntegerType, "decoded image height"),
            field("classes_present", DataTypes.createArrayType(DataTypes.StringType, false), "labels present, largest share first"),
            field("class_fractions", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, false), "share of pixels per label present"),
            field("clusters", DataTypes.IntegerType, "DBSCAN clusters"),
            field("noise_patches", DataTypes.IntegerType, "patches DBSCAN left as noise"),
            field("timings_ms", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, false),
                    "read, decode, the segmenter's stages (text, network, dbscan, postprocess, total) and write"),
            field("labels", DataTypes.StringType, "the label map PNG"),
            field("overlay", DataTypes.StringType, "the overlay PNG (with --overlays)"),
            field("worker", DataTypes.StringType, "the JVM that computed the row"),
            field("resumed", DataTypes.BooleanType, "true when --resume found the outputs of an earlier run"),
            field("error", DataTypes.StringType, "why the input gave no label map (one line), null on success"),
    });

    private static StructField field(String name, org.apache.spark.sql.types.DataType type, String comment) {
        return DataTypes.createStructField(name, type, !name.equals("path") && !name.equals("resumed")).withComment(comment);
    }

    static Map<String, Object> error(String path, String worker, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path);
        m.put("worker", worker);
        m.put("resumed", false);
        m.put("error", message);
        return m;
    }

    /** A row map (from the segmentation, or parsed back from JSON, whose numbers are Long/Double) as a Row. */
    static Row toRow(Map<String, Object> m) {
        Object[] v = new Object[SCHEMA.size()];
        StructField[] fields = SCHEMA.fields();
        for (int i = 0; i < v.length; i++) {
            Object o = m.get(fields[i].name());
            if (o == null) continue;
            if (fields[i].dataType() == DataTypes.IntegerType) o = ((Number) o).intValue();
            // Spark 4's row encoder takes Scala collections only
            else if (fields[i].dataType() instanceof org.apache.spark.sql.types.MapType) o = CollectionConverters.asScala(doubles((Map<?, ?>) o));
            else if (fields[i].dataType() instanceof org.apache.spark.sql.types.ArrayType) o = CollectionConverters.asScala(new ArrayList<>((List<?>) o));
            v[i] = o;
        }
        return RowFactory.create(v);
    }

    private static Map<String, Double> doubles(Map<?, ?> m) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (var e : m.entrySet()) out.put((String) e.getKey(), ((Number) e.getValue()).doubleValue());
        return out;
    }
}
