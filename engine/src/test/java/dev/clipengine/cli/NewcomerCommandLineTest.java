package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.Fixtures;
import dev.clipengine.cli.HelpAndRoughEdgesTest.Run;
import dev.clipengine.image.HostileImages;
import dev.clipengine.weights.Json;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 findings 3, 4, 6 and 11 replayed through the command line: a typo after the images is refused
 * at parse time and images are positional too; photos are turned upright by their EXIF tag unless
 * {@code --no-exif}; a bad image is refused before the model loads; the first image's {@code text} timing
 * is the time the text features took.
 */
class NewcomerCommandLineTest {

    @TempDir
    Path tmp;

    static Run run(String... args) {
        return HelpAndRoughEdgesTest.run(args);
    }

    static String model() {
        return Fixtures.clipTiny().resolve("hf").toString();
    }

    /** A w x h PNG of flat blocks, different in each quarter, so that a rotation or a mix-up changes the map. */
    static Path png(Path p, int w, int h, int seed) throws IOException {
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] colours = {0x2050c0, 0xc0a030, 0x30a040, 0xe0e0e0, 0x802020};
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) bi.setRGB(x, y, colours[(seed + (x * 2 / w) + 2 * (y * 2 / h)) % colours.length]);
        }
        assertTrue(ImageIO.write(bi, "png", p.toFile()));
        return p;
    }

    static Map<?, ?> json(Path p) throws IOException {
        return (Map<?, ?>) Json.parse(Files.readString(p));
    }

    // ------------------------------------------------------------------ finding 3

    @Test
    void aTypoAfterTheImagesIsAnUnknownOptionAtParseTime() throws Exception {
        Path img = png(tmp.resolve("a.png"), 64, 48, 0), out = tmp.resolve("out");
        // what the newcomer typed: before, "--clases" and "road" became images, and the run failed on a file
        // named --clases after loading the model and computing the text features
        Run r = run("segment", "--model", model(), "--classes", "road, sky", "--image", img.toString(), "--clases", "road",
                "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.errLines().size(), r.err());
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("error: Unknown option: '--clases'"), line);
        assertTrue(line.contains("did you mean --classes"), line);
        assertFalse(Files.exists(out), "refused while parsing, before the command made its output folder");

        // after a single-value option too: "--out --clases" is not an output folder named --clases
        r = run("segment", "--model", model(), img.toString(), "--classes", "road", "--out", "--clases");
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("'--clases'"), r.err());
        assertFalse(Files.exists(Path.of("--clases")));
    }

    @Test
    void imagesArePositionalAsWellAsAfterImage() throws Exception {
        Path a = png(tmp.resolve("a.png"), 64, 48, 0), b = png(tmp.resolve("b.png"), 48, 64, 2);
        List<String> common = List.of("--model", model(), "--classes", "road, sky, tree", "--size", "64");
        Path positional = tmp.resolve("positional"), option = tmp.resolve("option"), mixed = tmp.resolve("mixed");
        Run r = run(concat(List.of("segment", a.toString(), b.toString()), common, List.of("--out", positional.toString())));
        assertEquals(0, r.code(), r.err());
        r = run(concat(List.of("segment"), common, List.of("--image", a.toString(), b.toString(), "--out", option.toString())));
        assertEquals(0, r.code(), r.err());
        r = run(concat(List.of("segment"), common, List.of("--out", mixed.toString(), a.toString(), "--image", b.toString())));
        assertEquals(0, r.code(), r.err());
        for (String stem : List.of("a", "b")) {
            assertEquals(-1L, Files.mismatch(option.resolve(stem + ".labels.png"), positional.resolve(stem + ".labels.png")), stem);
            assertEquals(-1L, Files.mismatch(option.resolve(stem + ".labels.png"), mixed.resolve(stem + ".labels.png")), stem);
            assertEquals(stem + ".png", Path.of((String) json(positional.resolve(stem + ".json")).get("image")).getFileName().toString());
        }
        r = run(concat(List.of("segment"), common, List.of("--out", tmp.resolve("none").toString())));
        assertEquals(2, r.code());
        assertEquals(List.of("error: give the images to segment: segment IMG... --classes ... --out DIR"), r.errLines());
    }

    // ------------------------------------------------------------------ finding 4

    /**
     * A 96x64 JPEG stored as a phone stores a portrait photo: the pixels sideways, with EXIF orientation 6
     * ("rotate 90° clockwise to display") in an APP1 segment built here.
     */
    static Path sidewaysJpeg(Path p) throws IOException {
        BufferedImage bi = new BufferedImage(96, 64, BufferedImage.TYPE_INT_RGB);
        int[][] blocks = {{0xFF0000, 0x00FF00, 0x0000FF}, {0xFFFFFF, 0x000000, 0xFFFF00}};
        for (int y = 0; y < 64; y++) for (int x = 0; x < 96; x++) bi.setRGB(x, y, blocks[y / 32][x / 32]);
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(bi, "jpeg", plain));
        byte[] jpeg = plain.toByteArray();
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4).order(ByteOrder.BIG_ENDIAN);
        tiff.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8).putShort((short) 1);
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) 6).putShort((short) 0).putInt(0);
        byte[] exif = new byte[6 + tiff.capacity()];
        System.arraycopy("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), 0, exif, 0, 6);
        System.arraycopy(tiff.array(), 0, exif, 6, tiff.capacity());
        int at = 4 + (((jpeg[4] & 0xff) << 8) | (jpeg[5] & 0xff));   // after SOI and the JFIF APP0 segment
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, at);
        out.write(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) ((exif.length + 2) >> 8), (byte) (exif.length + 2)});
        out.write(exif);
        out.write(jpeg, at, jpeg.length - at);
        return Files.write(p, out.toByteArray());
    }

    @Test
    void photosAreTurnedUprightUnlessNoExif() throws Exception {
        Path photo = sidewaysJpeg(tmp.resolve("photo.jpg"));
        // the truth, made without the engine: the JPEG's pixels as stored (the JDK's reader ignores EXIF), and
        // the same pixels turned 90° clockwise, each saved losslessly
        BufferedImage stored = ImageIO.read(photo.toFile());
        BufferedImage upright = new BufferedImage(stored.getHeight(), stored.getWidth(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < upright.getHeight(); y++) {
            for (int x = 0; x < upright.getWidth(); x++) upright.setRGB(x, y, stored.getRGB(y, stored.getHeight() - 1 - x));
        }
        Path storedPng = tmp.resolve("stored.png"), uprightPng = tmp.resolve("upright.png");
        assertTrue(ImageIO.write(stored, "png", storedPng.toFile()));
        assertTrue(ImageIO.write(upright, "png", uprightPng.toFile()));

        List<String> common = List.of("--model", model(), "--classes", "road, sky, tree", "--size", "64", "--protocol", "full");
        Map<String, Path> outs = new java.util.LinkedHashMap<>();
        for (String mode : List.of("default", "--exif", "--no-exif")) {
            Path out = tmp.resolve("out" + mode);
            List<String> flag = mode.equals("default") ? List.of() : List.of(mode);
            Run r = run(concat(List.of("segment", photo.toString()), common, flag, List.of("--out", out.toString())));
            assertEquals(0, r.code(), mode + ": " + r.err());
            outs.put(mode, out);
        }
        Path truthUpright = tmp.resolve("truth-upright"), truthStored = tmp.resolve("truth-stored");
        assertEquals(0, run(concat(List.of("segment", uprightPng.toString()), common, List.of("--out", truthUpright.toString()))).code());
        assertEquals(0, run(concat(List.of("segment", storedPng.toString()), common, List.of("--out", truthStored.toString()))).code());

        Map<?, ?> j = json(outs.get("default").resolve("photo.json"));
        assertEquals(64, ((Number) j.get("width")).intValue(), "upright: portrait");
        assertEquals(96, ((Number) j.get("height")).intValue());
        assertEquals(-1L, Files.mismatch(outs.get("default").resolve("photo.labels.png"), truthUpright.resolve("upright.labels.png")));
        assertEquals(-1L, Files.mismatch(outs.get("--exif").resolve("photo.labels.png"), truthUpright.resolve("upright.labels.png")));
        assertEquals(-1L, Files.mismatch(outs.get("--no-exif").resolve("photo.labels.png"), truthStored.resolve("stored.labels.png")));
        assertEquals(96, ((Number) json(outs.get("--no-exif").resolve("photo.json")).get("width")).intValue(), "as stored: landscape");

        // the other commands that read images follow the same default
        float[] tagged = embedding("--image", photo.toString()), truth = embedding("--image", uprightPng.toString());
        float[] asStored = embedding("--image", photo.toString(), "--no-exif"), storedTruth = embedding("--image", storedPng.toString());
        assertTrue(maxAbsDiff(truth, tagged) <= 1e-5f, "embed-image turns the photo upright");
        assertTrue(maxAbsDiff(storedTruth, asStored) <= 1e-5f, "embed-image --no-exif reads it as stored");
        assertTrue(maxAbsDiff(tagged, asStored) > 1e-3f, "the orientation changes the embedding");

        Run both = run("segment", photo.toString(), "--model", model(), "--classes", "road", "--exif", "--no-exif", "--out", tmp.resolve("x").toString());
        assertEquals(2, both.code());
        assertEquals(List.of("error: --exif and --no-exif contradict each other: give one"), both.errLines());
    }

    // ------------------------------------------------------------------ finding 11

    @Test
    void badImagesAreRefusedBeforeTheModelLoads() throws Exception {
        Path bomb = Files.write(tmp.resolve("bomb.gif"), HostileImages.gifBomb());
        Path broken = Files.write(tmp.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0});
        Path good = png(tmp.resolve("good.png"), 64, 48, 1);
        // a model that does not exist: the only way to reach its "no such file" is to try to load it
        String noModel = tmp.resolve("no-such-model.safetensors").toString();

        Run r = run("segment", "--model", noModel, bomb.toString(), "--classes", "road", "--out", tmp.resolve("o1").toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.errLines().get(0).startsWith("error: cannot read image " + bomb + ": declares 13000x13000"), r.err());
        assertTrue(r.err().contains("decompression bomb"), r.err());

        // a batch of bad images only: each said, no model load
        r = run("segment", "--model", noModel, bomb.toString(), broken.toString(), "--classes", "road", "--out", tmp.resolve("o2").toString());
        assertEquals(2, r.code());
        assertEquals(2, r.errLines().size(), r.err());
        assertTrue(r.errLines().get(0).contains(bomb.toString()) && r.errLines().get(1).contains(broken.toString()), r.err());
        assertFalse(r.err().contains("no-such-model"), r.err());

        // with a good image the model is needed, after the bad ones were said
        r = run("segment", "--model", noModel, bomb.toString(), good.toString(), "--classes", "road", "--out", tmp.resolve("o3").toString());
        assertEquals(2, r.code());
        assertTrue(r.errLines().get(0).contains(bomb.toString()), r.err());
        assertTrue(r.errLines().get(r.errLines().size() - 1).contains("no-such-model"), r.err());

        // and with a model, the rest of the batch runs
        Path out = tmp.resolve("o4");
        r = run("segment", "--model", model(), bomb.toString(), good.toString(), "--classes", "road, sky", "--size", "64", "--out", out.toString());
        assertEquals(2, r.code(), "one image failed");
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("error:")).count(), r.err());
        assertTrue(Files.isRegularFile(out.resolve("good.labels.png")));
        assertFalse(Files.exists(out.resolve("bomb.json")));

        // the commands that read one image do the same
        for (String command : List.of("classify", "embed-image")) {
            List<String> args = command.equals("classify") ? List.of(command, "--model", noModel, "--image", bomb.toString(), "--labels", "a|b")
                    : List.of(command, "--model", noModel, "--image", bomb.toString());
            r = run(args.toArray(String[]::new));
            assertEquals(2, r.code());
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.errLines().get(0).startsWith("error: cannot read image " + bomb), command + ": " + r.err());
        }
    }

    // ------------------------------------------------------------------ finding 6

    @Test
    void theFirstImageCarriesTheTextFeaturesTime() throws Exception {
        Path a = png(tmp.resolve("a.png"), 64, 48, 0), b = png(tmp.resolve("b.png"), 64, 48, 3), out = tmp.resolve("out");
        // class names no other test uses: the text features are computed in this run, not found in a cache
        Run r = run("segment", "--model", model(), a.toString(), b.toString(), "--classes", "newcomer-road, newcomer-sky",
                "--size", "64", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<?, ?> first = (Map<?, ?>) json(out.resolve("a.json")).get("timings_ms"), second = (Map<?, ?>) json(out.resolve("b.json")).get("timings_ms");
        double text1 = ((Number) first.get("text")).doubleValue(), text2 = ((Number) second.get("text")).doubleValue();
        // 2 names x 80 templates through the text tower, against a check of the rows given to the second image
        assertTrue(text1 > 10 * Math.max(text2, 0.05), "first " + first + ", second " + second);
        double parts = 0;
        for (String k : List.of("text", "network", "dbscan", "postprocess")) parts += ((Number) first.get(k)).doubleValue();
        assertTrue(((Number) first.get("total")).doubleValue() >= parts - 0.05, "total covers its parts: " + first);
    }

    static float[] embedding(String... args) {
        Run r = run(concat(List.of("embed-image", "--model", model(), "--json"), List.of(args)));
        assertEquals(0, r.code(), r.err());
        List<?> values = (List<?>) ((Map<?, ?>) Json.parse(r.out().strip())).get("embedding");
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) v[i] = ((Number) values.get(i)).floatValue();
        return v;
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @SafeVarargs
    static String[] concat(List<String>... parts) {
        return java.util.Arrays.stream(parts).flatMap(List::stream).toArray(String[]::new);
    }
}
