package dev.clipengine.cli;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.Raster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code segment --method reclip++|zegclip|tagclip} through the real {@code engine.jar}, with exactly the options of
 * issue 14's "Command line": the label maps at the original size equal the fixtures' wherever the stored margin is at
 * least 1e-4, and broken inputs (class-count mismatch, a truncated checkpoint, a foreign one, missing options) end
 * in one line on stderr with exit 2.
 */
class SeedHeadsCommandLineIT {

    @TempDir
    Path tmp;

    static int[] labels(Path png, int w, int h) throws Exception {
        Raster r = ImageIO.read(png.toFile()).getRaster();
        assertEquals(w, r.getWidth());
        assertEquals(h, r.getHeight());
        return r.getPixels(0, 0, w, h, (int[]) null);
    }

    static void assertLabels(SafetensorsFile golden, String prefix, int[] labels, String what) throws Exception {
        long[] pred = golden.tensor(prefix + "pred").toLongArray();
        float[] margin = golden.tensor(prefix + "margin").toFloatArray();
        int ties = 0, differ = 0;
        for (int p = 0; p < pred.length; p++) {
            if (margin[p] >= 1e-4f) assertEquals(pred[p], labels[p], what + " at pixel " + p);
            else if (++ties > 0 && pred[p] != labels[p]) differ++;
        }
        System.out.printf("CLI %s: %d near-tie pixels, %d differ%n", what, ties, differ);
    }

    static void assertOneLineError(CommandLineIT.Result r, String... fragments) {
        assertEquals(2, r.code(), r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
        assertEquals(1, err.lines().filter(l -> l.startsWith("error:")).count(), err);
        for (String f : fragments) assertTrue(err.contains(f), "'" + f + "' in: " + err);
    }

    List<String> reclipArgs(Path dir, String classes, Path out) {
        return new ArrayList<>(List.of("segment", "--method", "reclip++", "--model", dir.resolve("best_weight.pth").toString(),
                "--class-embeddings", dir.resolve("voc_clip_text.pth").toString(), "--classes", classes, "--size", "336",
                "--pd-threshold", "1.0", "--vision-heads", "4", "--text-heads", "2", "--out", out.toString()));
    }

    @Test
    void reclipWritesTheReferenceLabelMaps() throws Exception {
        Path dir = Fixtures.seedHead("reclip-tiny");
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("golden.safetensors"))) {
            Map<?, ?> dataset = (Map<?, ?>) Json.parse(golden.metadata().get("dataset"));
            String classes = String.join(",", ((List<?>) dataset.get("classes")).stream().map(String::valueOf).toList());
            List<String> args = reclipArgs(dir, classes, tmp);
            args.addAll(List.of("--image", dir.resolve("input0.png").toString(), dir.resolve("input1.png").toString()));
            CommandLineIT.Result r = MethodsCommandLineIT.runDirect(args);
            assertEquals(0, r.code(), r.err());
            assertLabels(golden, "img0.", labels(tmp.resolve("input0.labels.png"), 160, 120), "reclip++ input0");
            assertLabels(golden, "img1.", labels(tmp.resolve("input1.labels.png"), 97, 131), "reclip++ input1");
        }
    }

    @Test
    void zegclipAndTagclipWriteTheReferenceLabelMaps() throws Exception {
        Path root = Fixtures.seedHead("zegclip-tiny");
        String[][] cases = {{"zegclip", "zegclip-voc-inductive-tiny.pth", "", ""},
                {"tagclip", "tagclip-voc-inductive-tiny.pth", "", "weighted."},
                {"tagclip", "tagclip-voc-inductive-tiny.pth", "--no-trusty-weighting", "unweighted."}};
        for (String[] c : cases) {
            Path dir = root.resolve(c[0]), out = tmp.resolve(c[0] + c[3]);
            try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("golden.safetensors"))) {
                String classes = String.join(",", ((List<?>) Json.parse(golden.metadata().get("classes"))).stream().map(String::valueOf).toList());
                // crop, stride and size default to the checkpoint's embedded config; given here as the issue writes them
                List<String> args = new ArrayList<>(List.of("segment", "--method", c[0], "--model", dir.resolve(c[1]).toString(),
                        "--class-embeddings", dir.resolve("voc12_single.npy").toString(), "--classes", classes,
                        "--seen-classes", "0-14", "--size", "128", "--crop", "128", "--stride", "106", "--vision-heads", "4",
                        "--image", root.resolve("input.png").toString(), "--out", out.toString()));
                if (!c[2].isEmpty()) args.add(c[2]);
                CommandLineIT.Result r = MethodsCommandLineIT.runDirect(args);
                assertEquals(0, r.code(), r.err());
                assertLabels(golden, c[3], labels(out.resolve("input.labels.png"), 160, 120), c[0] + " " + c[3]);
            }
        }
    }

    @Test
    void brokenInputsFailInOneLine() throws Exception {
        Path dir = Fixtures.seedHead("reclip-tiny"), zdir = Fixtures.seedHead("zegclip-tiny");
        Path img = dir.resolve("input0.png");
        // a class list whose size does not match the decoder: both sizes named
        List<String> a = reclipArgs(dir, "cat,dog,bird", tmp.resolve("a"));
        a.addAll(List.of("--image", img.toString()));
        assertOneLineError(CommandLineIT.run(a), "3", "20");

        // a truncated checkpoint
        byte[] whole = Files.readAllBytes(dir.resolve("best_weight.pth"));
        Path cut = tmp.resolve("cut.pth");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        List<String> b = new ArrayList<>(List.of("segment", "--method", "reclip++", "--model", cut.toString(),
                "--class-embeddings", dir.resolve("voc_clip_text.npy").toString(), "--classes", "a,b", "--image", img.toString(),
                "--out", tmp.resolve("b").toString()));
        assertOneLineError(CommandLineIT.run(b), "cut.pth");

        // a ZegCLIP checkpoint given as ReCLIP++: the missing key is named
        List<String> c = new ArrayList<>(List.of("segment", "--method", "reclip++", "--model",
                zdir.resolve("zegclip/zegclip-voc-inductive-tiny.pth").toString(), "--class-embeddings",
                dir.resolve("voc_clip_text.npy").toString(), "--classes", "a,b", "--image", img.toString(), "--out", tmp.resolve("c").toString()));
        assertOneLineError(CommandLineIT.run(c), "missing tensor", "decoder_conv2.weight");

        // ZegCLIP: embeddings rows vs class list
        List<String> d = new ArrayList<>(List.of("segment", "--method", "zegclip", "--model",
                zdir.resolve("zegclip/zegclip-voc-inductive-tiny.pth").toString(), "--class-embeddings",
                zdir.resolve("zegclip/voc12_single.npy").toString(), "--classes", "a,b,c", "--vision-heads", "4",
                "--image", img.toString(), "--out", tmp.resolve("d").toString()));
        assertOneLineError(CommandLineIT.run(d), "3 classes", "20 class embeddings");

        // the wrong family for the file
        List<String> e = new ArrayList<>(d);
        e.set(2, "tagclip");
        assertOneLineError(CommandLineIT.run(e), "zegclip checkpoint");

        // an unknown method option value stays a one-line error
        List<String> f = new ArrayList<>(List.of("segment", "--method", "zegclip", "--model",
                zdir.resolve("zegclip/zegclip-voc-inductive-tiny.pth").toString(), "--classes", "a,b", "--seen-classes", "0-7",
                "--image", img.toString(), "--out", tmp.resolve("f").toString()));
        assertOneLineError(CommandLineIT.run(f), "--seen-classes", "0-7", "2 classes");
    }

    @Test
    void withoutClassEmbeddingsTheTextTowerRecomputesThem() throws Exception {
        Path zdir = Fixtures.seedHead("zegclip-tiny");
        List<String> a = new ArrayList<>(List.of("segment", "--method", "tagclip", "--model",
                zdir.resolve("tagclip/tagclip-voc-inductive-tiny.pth").toString(), "--classes", "road,tree,sky",
                "--seen-classes", "0-1", "--image", zdir.resolve("input.png").toString(), "--out", tmp.toString()));
        CommandLineIT.Result r = MethodsCommandLineIT.runDirect(a);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("recomputing") || r.err().contains("text encoder"), r.err());
        for (int v : labels(tmp.resolve("input.labels.png"), 160, 120)) assertTrue(v >= 0 && v < 3, "label " + v);
    }
}
