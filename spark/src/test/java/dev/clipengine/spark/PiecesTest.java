package dev.clipengine.spark;

import dev.clipengine.segment.SegmentOptions;
import dev.clipengine.segment.Vocabulary;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parts that need no Spark session. */
class PiecesTest {

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void optionsAndVocabularyReachTheExecutorsUnchanged() throws Exception {
        SegmentOptions o = SegmentOptions.defaults().withSize(224).withDbscan(0.9, 4);
        Vocabulary v = Vocabulary.named("VOC21");
        assertEquals(o, roundTrip(RecordSnapshot.of(o)).get());
        assertEquals(v, roundTrip(RecordSnapshot.of(v)).get());
    }

    @Test
    void hadoopConfigurationTravels() throws Exception {
        org.apache.hadoop.conf.Configuration c = new org.apache.hadoop.conf.Configuration(false);
        c.set("fs.s3a.endpoint", "http://127.0.0.1:9000");
        assertEquals("http://127.0.0.1:9000", roundTrip(new HadoopConf(c)).get().get("fs.s3a.endpoint"));
    }

    @Test
    void launcherDropsFlagsForPackagesThisJdkLacks() {
        assertTrue(Main.applies("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"));
        assertFalse(Main.applies("--add-opens=java.base/sun.security.nothing=ALL-UNNAMED"));
        assertTrue(Main.applies("--add-modules=jdk.incubator.vector"));
    }

    @Test
    void launcherDropsOnlyTheIncubatorWarning() {
        String rest = "error: something\nmore\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        dev.clipengine.cli.JvmRelaunch.copyDroppingWarning(new ByteArrayInputStream(("WARNING: Using incubator modules: jdk.incubator.vector\n" + rest)
                .getBytes(StandardCharsets.UTF_8)), out);
        assertEquals(rest, out.toString(StandardCharsets.UTF_8));
        out.reset();
        dev.clipengine.cli.JvmRelaunch.copyDroppingWarning(new ByteArrayInputStream(rest.getBytes(StandardCharsets.UTF_8)), out);
        assertEquals(rest, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void stemsAsSegmentNamesThem() {
        assertEquals("a.b", InputListing.stem("hdfs://nn/x/a.b.png"));
        assertEquals("noext", InputListing.stem("file:/x/noext"));
    }

    /** Issue 18 finding 11: a folder input takes TIFF images, as engine.jar's segment now does. */
    @Test
    void aFolderTakesEveryFormatTheDecoderReadsTiffIncluded(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        for (String n : new String[] {"a.png", "b.JPG", "c.jpeg", "d.bmp", "e.gif", "f.tif", "g.TIFF", "notes.txt", "h.webp"}) {
            java.nio.file.Files.writeString(dir.resolve(n), "x");
        }
        java.util.List<String> found = InputListing.expand(java.util.List.of(dir.toString()), new org.apache.hadoop.conf.Configuration());
        assertEquals(java.util.List.of("a", "b", "c", "d", "e", "f", "g"), found.stream().map(InputListing::stem).toList());
    }
}
