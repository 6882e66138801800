package dev.clipengine.cli;

import dev.clipengine.weights.Json;
import dev.clipengine.Fixtures;
import dev.clipengine.segment.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code eval --method reclip++|zegclip|tagclip} through the real {@code engine.jar} (issue 14, "segment and eval take
 * these methods like any other"): on a tiny VOC-layout dataset built here from the fixture images, with what
 * {@code segment} writes for the same JPEGs as the ground truth, eval must score every pixel as right (mIoU, pAcc,
 * mAcc, fwIoU 100), which holds only when eval runs the same head with the same options and numbers its labels as the
 * dataset does; a dataset whose class count differs from the checkpoint's fails in one line naming both sizes.
 */
class SeedHeadsEvalIT {

    @TempDir
    Path tmp;

    /** VOC2012 layout (voc20: ground truth value v is class v-1, 0 and 255 ignored) holding {@code images} as JPEGs. */
    private Path vocOf(String name, List<Path> images) throws Exception {
        Path base = tmp.resolve(name).resolve("VOC2012");
        Files.createDirectories(base.resolve("JPEGImages"));
        Files.createDirectories(base.resolve("SegmentationClass"));
        Files.createDirectories(base.resolve("ImageSets/Segmentation"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            BufferedImage src = ImageIO.read(images.get(i).toFile());
            BufferedImage rgb = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
            rgb.getGraphics().drawImage(src, 0, 0, null);
            assertTrue(ImageIO.write(rgb, "jpg", base.resolve("JPEGImages/img" + i + ".jpg").toFile()));
            ids.add("img" + i);
        }
        Files.writeString(base.resolve("ImageSets/Segmentation/val.txt"), String.join("\n", ids) + "\n");
        return base;
    }

    /** Runs {@code segment} with {@code headArgs} on the dataset's JPEGs and stores its maps as voc20 ground truth. */
    private void groundTruthFromSegment(Path base, List<String> headArgs, int count) throws Exception {
        Path out = base.resolveSibling("segment-out");
        List<String> args = new ArrayList<>(List.of("segment"));
        args.addAll(headArgs);
        args.addAll(List.of("--out", out.toString(), "--image"));
        for (int i = 0; i < count; i++) args.add(base.resolve("JPEGImages/img" + i + ".jpg").toString());
        CommandLineIT.Result r = MethodsCommandLineIT.runDirect(args);
        assertEquals(0, r.code(), r.err());
        for (int i = 0; i < count; i++) {
            BufferedImage labels = ImageIO.read(out.resolve("img" + i + ".labels.png").toFile());
            int w = labels.getWidth(), h = labels.getHeight();
            int[] v = labels.getRaster().getPixels(0, 0, w, h, (int[]) null);
            for (int p = 0; p < v.length; p++) {
                assertTrue(v[p] >= 0 && v[p] < 20, "label " + v[p]);
                v[p] += 1;   // voc20 reduces the zero label: class c is stored as c + 1
            }
            BufferedImage gt = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            gt.getRaster().setPixels(0, 0, w, h, v);
            ImageIO.write(gt, "png", base.resolve("SegmentationClass/img" + i + ".png").toFile());
        }
    }

    private CommandLineIT.Result eval(String dataset, Path base, List<String> headArgs, Path out) throws Exception {
        List<String> args = new ArrayList<>(List.of("eval", "--dataset", dataset, "--data", base.getParent().toString(), "--out", out.toString()));
        args.addAll(headArgs);
        return MethodsCommandLineIT.runDirect(args);
    }

    private static void assertPerfect(CommandLineIT.Result r, Path out, String method, int images) throws Exception {
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| standard (mmseg) | 100.00 | 100.00 | 100.00 | 100.00 |"), r.out());
        Map<?, ?> json = (Map<?, ?>) Json.parse(Files.readString(out.resolve("metrics.json")));
        assertEquals((long) images, json.get("images"));
        assertEquals(0L, json.get("failed_images"));
        assertEquals(method, json.get("method"));
        assertEquals(100.0, ((Number) ((Map<?, ?>) json.get("standard")).get("mIoU")).doubleValue(), 1e-9);
    }

    @Test
    void reclipScoresItsOwnSegmentMapsPerfectlyAndRefusesAForeignClassCount() throws Exception {
        Path dir = Fixtures.seedHead("reclip-tiny");
        Path base = vocOf("voc", List.of(dir.resolve("input0.png"), dir.resolve("input1.png")));
        List<String> head = List.of("--method", "reclip++", "--model", dir.resolve("best_weight.pth").toString(),
                "--class-embeddings", dir.resolve("voc_clip_text.pth").toString(), "--size", "336", "--pd-threshold", "1.0",
                "--vision-heads", "4", "--text-heads", "2");
        List<String> segment = new ArrayList<>(head);
        // segment takes the classes by name; eval takes voc20's (same count and order as the checkpoint's)
        segment.addAll(List.of("--classes", String.join(",", voc20Names())));
        groundTruthFromSegment(base, segment, 2);
        assertPerfect(eval("voc20", base, concat(head, "--jobs", "2"), tmp.resolve("m")), tmp.resolve("m"), "reclip++", 2);
        // voc21 has 21 classes (background first), the decoder 20
        SeedHeadsCommandLineIT.assertOneLineError(eval("voc21", base, head, tmp.resolve("m21")), "21", "20");
        // a seed head's options with a training-free method are refused, not ignored
        SeedHeadsCommandLineIT.assertOneLineError(eval("voc20", base, List.of("--method", "sclip", "--model",
                dir.resolve("best_weight.pth").toString(), "--pd-threshold", "1.0"), tmp.resolve("ms")), "--pd-threshold");
    }

    @Test
    void zegclipAndTagclipScoreTheirOwnSegmentMapsPerfectly() throws Exception {
        Path root = Fixtures.seedHead("zegclip-tiny");
        for (String[] c : new String[][] {{"zegclip", "zegclip-voc-inductive-tiny.pth"}, {"tagclip", "tagclip-voc-inductive-tiny.pth"}}) {
            Path dir = root.resolve(c[0]);
            Path base = vocOf(c[0], List.of(root.resolve("input.png")));
            List<String> head = List.of("--method", c[0], "--model", dir.resolve(c[1]).toString(),
                    "--class-embeddings", dir.resolve("voc12_single.npy").toString(), "--seen-classes", "0-14",
                    "--size", "128", "--crop", "128", "--stride", "106", "--vision-heads", "4");
            groundTruthFromSegment(base, concat(head, "--classes", String.join(",", voc20Names())), 1);
            Path out = tmp.resolve(c[0] + "-m");
            assertPerfect(eval("voc20", base, head, out), out, c[0], 1);
            // voc21: 21 classes against the 20 rows of the embeddings file, both named
            SeedHeadsCommandLineIT.assertOneLineError(eval("voc21", base, head, tmp.resolve(c[0] + "-m21")), "21", "20 class embeddings");
        }
    }

    /** voc20's class names as eval takes them: the first name of each class of the bundled name file. */
    private static List<String> voc20Names() {
        Vocabulary v = Vocabulary.nameFile("voc20");
        List<String> names = new ArrayList<>();
        for (int c = 0; c < v.classCount(); c++) names.add(v.labelName(c));
        return names;
    }

    private static List<String> concat(List<String> a, String... more) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(more));
        return out;
    }
}
