package dev.clipengine.segmentation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The dataset layouts: the CamVid and ADE samples of testdata/, and a VOC tree with palette label maps. */
class SegDatasetTest {

    static Path datasets() {
        Fixtures.dir();
        return Path.of(System.getProperty("clip.shared", "../testdata"), "data/datasets");
    }

    @Test
    void camvidSegNetLayout() throws IOException {
        Path root = datasets().resolve("camvid-val");
        SegDataset d = SegDataset.open("camvid", root, "val");
        // the repository carries 4 of the 101 validation images (testdata/README.md), a fuller copy all of them
        java.util.List<String> ids;
        try (var files = Files.list(root.resolve("val"))) {
            ids = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png")).sorted()
                    .map(n -> n.substring(0, n.length() - 4)).toList();
        }
        assertEquals(true, ids.size() >= 4, ids.toString());
        assertEquals(ids, d.samples().stream().map(SegDataset.Sample::id).toList(), "every image, sorted by id");
        assertEquals("0016E5_07959", d.samples().getFirst().id());
        LabelMaps.Map gt = d.groundTruth(d.samples().getFirst());
        assertEquals(480, gt.width());
        assertEquals(360, gt.height());
        for (int v : gt.values()) assertEquals(true, v >= -1 && v < 11);
        assertEquals(true, java.util.Arrays.stream(gt.values()).anyMatch(v -> v == -1), "11 (unlabelled) is ignored");
    }

    @Test
    void adeSampleLayout() throws IOException {
        SegDataset d = SegDataset.open("ade", datasets().resolve("ade20k-sample"), "val");
        assertEquals(3, d.samples().size());
        assertEquals("ADE_val_00000001", d.samples().getFirst().id());
        int[] raw = LabelMaps.read(d.samples().getFirst().labels()).values();
        int[] gt = d.groundTruth(d.samples().getFirst()).values();
        for (int i = 0; i < raw.length; i++) assertEquals(raw[i] == 0 ? -1 : raw[i] - 1, gt[i]);
    }

    @Test
    void vocPaletteLabels(@TempDir Path root) throws IOException {
        Path base = root.resolve("VOCdevkit/VOC2012");
        Files.createDirectories(base.resolve("ImageSets/Segmentation"));
        Files.createDirectories(base.resolve("SegmentationClass"));
        Files.createDirectories(base.resolve("JPEGImages"));
        Files.writeString(base.resolve("ImageSets/Segmentation/val.txt"), "b\na\n");
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) r[i] = (byte) (i * 7);   // colours unrelated to the indices
        BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 256, r, g, b));
        img.getRaster().setPixels(0, 0, 4, 1, new int[] {0, 15, 20, 255});
        ImageIO.write(img, "png", base.resolve("SegmentationClass/a.png").toFile());
        SegDataset voc21 = SegDataset.open("voc21", root, "val");
        assertEquals(java.util.List.of("a", "b"), voc21.samples().stream().map(SegDataset.Sample::id).toList(), "sorted ids");
        assertEquals("[0, 15, 20, -1]", java.util.Arrays.toString(voc21.groundTruth(voc21.samples().getFirst()).values()));
        SegDataset voc20 = SegDataset.open("voc20", root, "val");
        assertEquals("[-1, 14, 19, -1]", java.util.Arrays.toString(voc20.groundTruth(voc20.samples().getFirst()).values()));
        assertThrows(IOException.class, () -> SegDataset.open("city", root, "val"));
        assertThrows(IllegalArgumentException.class, () -> SegDataset.open("kitti", root, "val"));
    }
}
