package dev.clipengine.segmentation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A semantic-segmentation evaluation set in one of the standard on-disk layouts: the images, their label maps, and
 * how stored label values become class indices. Samples are sorted by id, so every run sees the same order.
 *
 * @param type          the dataset key ({@link #TYPES})
 * @param numClasses    classes scored
 * @param background    class 0 is a background class (VOC21, PC60, COCO-Object)
 * @param convention    stored label value → class index
 * @param samples       the images of the split
 * @param layout        which layout was found, for the report
 */
public record SegDataset(String type, int numClasses, boolean background, LabelConvention convention, List<Sample> samples,
                         String layout) {

    /** One image and its label map. */
    public record Sample(String id, Path image, Path labels) {
    }

    /**
     * The supported datasets and their layouts and label conventions (ignore values are never scored).
     * Keys are the dataset names the slide profiles use.
     */
    public static final Map<String, String> TYPES = types();

    private static Map<String, String> types() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("voc21", "PASCAL VOC 2012 (VOC2012/ or VOCdevkit/VOC2012/): JPEGImages/<id>.jpg, SegmentationClass/<id>.png "
                + "(palette indices 0-20, 0 = background), ImageSets/Segmentation/<split>.txt; 255 (boundaries) ignored");
        m.put("voc20", "the same files without background: 0 and 255 ignored, 1-20 = classes 0-19 (reduce-zero-label)");
        m.put("pc60", "PASCAL Context, mmseg conversion (VOC2010/): JPEGImages/<id>.jpg, SegmentationClassContext/<id>.png "
                + "(0 = background, 1-59), ImageSets/SegmentationContext/<split>.txt; 255 ignored");
        m.put("pc59", "PASCAL Context 59: the mmseg files with 0 ignored and 1-59 = classes 0-58 (reduce-zero-label), or the "
                + "detectron2 conversion images/<split>/*.jpg + annotations_ctx59/<split>/*.png (0-58, 255 ignored)");
        m.put("ade", "ADE20K (ADEChallengeData2016/): images/<validation|training>/*.jpg, annotations/…/*.png, or the SceneParsing "
                + "sample (sampleData/images, sampleData/annotations); 0 (other) ignored, 1-150 = classes 0-149 (reduce-zero-label)");
        m.put("stuff", "COCO-Stuff 164k, mmseg conversion: images/<split>2017/*.jpg, annotations/<split>2017/*_labelTrainIds.png "
                + "(0-170); 255 ignored");
        m.put("object", "COCO-Object, SCLIP's conversion: images/<split>2017/*.jpg, annotations/<split>2017/*_instanceTrainIds.png "
                + "(0 = background, 1-80 = things); 255 ignored");
        m.put("city", "Cityscapes: leftImg8bit/<split>/<city>/*_leftImg8bit.png, gtFine/<split>/<city>/*_gtFine_labelTrainIds.png "
                + "(train ids 0-18); 255 ignored");
        m.put("camvid", "CamVid, SegNet layout: <split>/*.png, <split>annot/*.png (0-10 = Sky … Bicyclist); 11 (unlabelled) ignored");
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Opens a dataset root of the given type for a split ({@code val}, {@code train}, {@code test}). */
    public static SegDataset open(String type, Path root, String split) throws IOException {
        if (!Files.isDirectory(root)) throw new NoSuchFileException(root.toString());
        return switch (type) {
            case "voc21", "voc20" -> voc(type, root, split);
            case "pc60", "pc59" -> context(type, root, split);
            case "ade" -> ade(root, split);
            case "stuff" -> coco("stuff", root, split, "_labelTrainIds.png", 171, false);
            case "object" -> coco("object", root, split, "_instanceTrainIds.png", 81, true);
            case "city" -> cityscapes(root, split);
            case "camvid" -> camvid(root, split);
            default -> throw new IllegalArgumentException("unknown dataset type '" + type + "' (known: " + String.join(", ", TYPES.keySet()) + ")");
        };
    }

    /** The first of {@code candidates} (relative to root) that is a folder holding {@code marker}. */
    private static Path find(Path root, String marker, String... candidates) throws IOException {
        for (String c : candidates) {
            Path p = c.isEmpty() ? root : root.resolve(c);
            if (Files.isDirectory(p.resolve(marker))) return p;
        }
        throw new NoSuchFileException(root + ": no " + marker + "/ folder here (looked in " + String.join(", ",
                java.util.Arrays.stream(candidates).map(c -> c.isEmpty() ? "." : c).toList()) + ")");
    }

    private static List<String> ids(Path list) throws IOException {
        if (!Files.isRegularFile(list)) throw new NoSuchFileException(list.toString());
        return Files.readAllLines(list, StandardCharsets.UTF_8).stream().map(String::strip).filter(s -> !s.isEmpty()).sorted().toList();
    }

    private static SegDataset voc(String type, Path root, String split) throws IOException {
        Path base = find(root, "SegmentationClass", "", "VOC2012", "VOCdevkit/VOC2012");
        List<Sample> s = new ArrayList<>();
        for (String id : ids(base.resolve("ImageSets/Segmentation/" + split + ".txt"))) {
            s.add(new Sample(id, base.resolve("JPEGImages/" + id + ".jpg"), base.resolve("SegmentationClass/" + id + ".png")));
        }
        boolean bg = type.equals("voc21");
        return new SegDataset(type, bg ? 21 : 20, bg, bg ? new LabelConvention(21, false, 255) : new LabelConvention(20, true, 255),
                s, "VOC2012 " + base);
    }

    private static SegDataset context(String type, Path root, String split) throws IOException {
        boolean sixty = type.equals("pc60");
        if (!sixty && Files.isDirectory(root.resolve("annotations_ctx59"))) {
            String d2split = split.equals("val") ? "validation" : split.equals("train") ? "training" : split;
            List<Sample> s = paired(root.resolve("images/" + d2split), ".jpg", root.resolve("annotations_ctx59/" + d2split), ".png");
            return new SegDataset(type, 59, false, new LabelConvention(59, false, 255), s, "detectron2 pcontext59 " + root);
        }
        Path base = find(root, "SegmentationClassContext", "", "VOC2010", "VOCdevkit/VOC2010");
        List<Sample> s = new ArrayList<>();
        for (String id : ids(base.resolve("ImageSets/SegmentationContext/" + split + ".txt"))) {
            s.add(new Sample(id, base.resolve("JPEGImages/" + id + ".jpg"), base.resolve("SegmentationClassContext/" + id + ".png")));
        }
        return new SegDataset(type, sixty ? 60 : 59, sixty,
                sixty ? new LabelConvention(60, false, 255) : new LabelConvention(59, true, 255), s, "mmseg PASCAL Context " + base);
    }

    private static SegDataset ade(Path root, String split) throws IOException {
        LabelConvention conv = new LabelConvention(150, true, 255);
        for (String c : new String[] {"", "ADEChallengeData2016"}) {
            Path base = c.isEmpty() ? root : root.resolve(c);
            if (Files.isDirectory(base.resolve("sampleData/images"))) {
                return new SegDataset("ade", 150, false, conv, paired(base.resolve("sampleData/images"), ".jpg",
                        base.resolve("sampleData/annotations"), ".png"), "ADE20K SceneParsing sample " + base);
            }
        }
        Path base = find(root, "annotations", "", "ADEChallengeData2016");
        String d = split.equals("val") ? "validation" : split.equals("train") ? "training" : split;
        return new SegDataset("ade", 150, false, conv, paired(base.resolve("images/" + d), ".jpg", base.resolve("annotations/" + d), ".png"),
                "ADEChallengeData2016 " + base);
    }

    private static SegDataset coco(String type, Path root, String split, String labelSuffix, int n, boolean bg) throws IOException {
        Path base = find(root, "annotations", "", "coco_stuff164k", "coco_object");
        String d = split + "2017";
        return new SegDataset(type, n, bg, new LabelConvention(n, false, 255),
                paired(base.resolve("images/" + d), ".jpg", base.resolve("annotations/" + d), labelSuffix), "COCO " + base);
    }

    private static SegDataset cityscapes(Path root, String split) throws IOException {
        Path base = find(root, "gtFine", "", "cityscapes");
        Path images = base.resolve("leftImg8bit/" + split), labels = base.resolve("gtFine/" + split);
        if (!Files.isDirectory(images)) throw new NoSuchFileException(images.toString());
        List<Sample> s = new ArrayList<>();
        try (Stream<Path> files = Files.walk(images)) {
            for (Path img : files.filter(f -> f.getFileName().toString().endsWith("_leftImg8bit.png")).toList()) {
                String name = img.getFileName().toString();
                String id = name.substring(0, name.length() - "_leftImg8bit.png".length());
                Path rel = images.relativize(img.getParent());
                s.add(new Sample(id, img, labels.resolve(rel).resolve(id + "_gtFine_labelTrainIds.png")));
            }
        }
        s.sort(Comparator.comparing(Sample::id));
        return new SegDataset("city", 19, false, new LabelConvention(19, false, 255), s, "Cityscapes " + base);
    }

    private static SegDataset camvid(Path root, String split) throws IOException {
        Path base = find(root, split + "annot", "", "CamVid", "camvid-" + split);
        return new SegDataset("camvid", 11, false, new LabelConvention(11, false, 11),
                paired(base.resolve(split), ".png", base.resolve(split + "annot"), ".png"), "CamVid SegNet " + base);
    }

    /** Images {@code <id><imageSuffix>} in one folder with labels {@code <id><labelSuffix>} in another, sorted by id. */
    private static List<Sample> paired(Path images, String imageSuffix, Path labels, String labelSuffix) throws IOException {
        if (!Files.isDirectory(images)) throw new NoSuchFileException(images.toString());
        if (!Files.isDirectory(labels)) throw new NoSuchFileException(labels.toString());
        try (Stream<Path> files = Files.list(images)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(imageSuffix)).sorted()
                    .map(n -> {
                        String id = n.substring(0, n.length() - imageSuffix.length());
                        return new Sample(id, images.resolve(n), labels.resolve(id + labelSuffix));
                    }).toList();
        }
    }

    /** The ground truth of one sample as class indices (-1 = ignored). */
    public LabelMaps.Map groundTruth(Sample s) throws IOException {
        LabelMaps.Map m = LabelMaps.read(s.labels());
        convention.apply(m.values());
        return m;
    }
}
