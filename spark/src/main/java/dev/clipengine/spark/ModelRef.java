package dev.clipengine.spark;

import org.apache.spark.SparkFiles;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Which weights to load: a path on the local disk of every JVM of the job (the driver's absolute path,
 * which a shared mount or an identical layout gives every node), or the name of a file shipped with
 * {@code spark-submit --files}, which Spark puts in each executor's working folder.
 */
record ModelRef(String path, Integer visionHeads, Integer textHeads) implements Serializable {

    Path localPath() throws NoSuchFileException {
        Path p = Path.of(path);
        if (Files.exists(p)) return p;
        try {
            Path shipped = Path.of(SparkFiles.get(p.getFileName().toString()));
            if (Files.exists(shipped)) return shipped;
        } catch (RuntimeException noSparkEnv) {
            // not inside a running Spark application: only the path itself can be meant
        }
        throw new NoSuchFileException(path, null,
                "model not found on " + Workers.host() + " (give every executor the model at this path, or ship it with spark-submit --files)");
    }
}
