package dev.clipengine.segment;

import dev.clipengine.model.PositionalInterpolation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The per-repository, per-dataset protocol settings of docs/training-free-methods.md §3.11, by name
 * ({@code sclip-voc21}, {@code naclip-ade}, {@code clearclip-city}, …): rescale side, window, logit scale and
 * thresholds, whole-image mode, and the repository's method and the dataset's name file as defaults.
 * NACLIP's profiles are its v2 configs (VOC whole-image, Stuff at 336) without PAMR, which the engine does not run.
 * ClearCLIP's single-word VOC/Object name files are not bundled: its profiles default to the SCLIP files.
 */
public record Profile(String name, Method method, String vocabulary, int shortSide, int crop, int stride,
                      float logitScale, float probThd, Float areaThd) {

    /** The dataset keys of §3.11, with the bundled name file of each. */
    private static final String[] DATASETS = {"voc21", "pc60", "object", "voc20", "city", "pc59", "ade", "stuff"};

    private static final Map<String, Profile> ALL = build();

    /** The protocol a user gets without a profile: SCLIP's and NACLIP's common settings (S 336, 224/112, 40). */
    public static Profile defaults(Method method) {
        return new Profile("default", method, null, 336, 224, 112, 40f, 0f, null);
    }

    public static Profile named(String name) {
        Profile p = ALL.get(name.toLowerCase(Locale.ROOT));
        if (p == null) throw new IllegalArgumentException("unknown profile '" + name + "' (known: " + String.join(", ", ALL.keySet()) + ")");
        return p;
    }

    public static List<String> names() {
        return List.copyOf(ALL.keySet());
    }

    /** The profile of a repository ({@code sclip}, {@code naclip}, {@code clearclip}) for a dataset key, if any. */
    public static Profile forDataset(String repo, String dataset) {
        return ALL.get(repo + "-" + dataset);
    }

    /** NACLIP whole-image runs upsample in two steps; ClearCLIP pads windows to the patch (§3.4, §3.7). */
    public SlideOptions options(Method m, double sigma, List<String> templates) {
        return new SlideOptions(m, sigma, shortSide, 2048, crop, stride, logitScale, probThd, areaThd,
                m == Method.NACLIP, m == Method.CLEARCLIP, PositionalInterpolation.CLIPTRASE, templates);
    }

    private static Map<String, Profile> build() {
        Map<String, Profile> m = new LinkedHashMap<>();
        List<Profile> l = new ArrayList<>();
        for (String d : DATASETS) {
            boolean bg = d.equals("voc21") || d.equals("pc60") || d.equals("object");
            // SCLIP: S 336 (City 560, Stuff 448), 224/112; logit 65 / 50 / 40; prob 0.1 where class 0 is background
            int sclipS = d.equals("city") ? 560 : d.equals("stuff") ? 448 : 336;
            float sclipScale = d.equals("voc21") ? 65f : bg ? 50f : 40f;
            l.add(new Profile("sclip-" + d, Method.SCLIP, d, sclipS, 224, 112, sclipScale, bg ? 0.1f : 0f,
                    d.equals("voc21") ? 0.1f : null));
            // NACLIP v2: S 336 (City 560), VOC21/VOC20 whole image, logit 40, prob 0.1 with background
            boolean whole = d.equals("voc21") || d.equals("voc20");
            l.add(new Profile("naclip-" + d, Method.NACLIP, d, d.equals("city") ? 560 : 336, whole ? 0 : 224, whole ? 0 : 112,
                    40f, bg ? 0.1f : 0f, null));
            // ClearCLIP: S 448, 448/224 (City 224/224), logit 50, prob 0.5 / 0.15 / 0.4 with background
            float clearProb = switch (d) {
                case "voc21" -> 0.5f;
                case "pc60" -> 0.15f;
                case "object" -> 0.4f;
                default -> 0f;
            };
            boolean city = d.equals("city");
            l.add(new Profile("clearclip-" + d, Method.CLEARCLIP, d, 448, city ? 224 : 448, 224, 50f, clearProb, null));
        }
        l.add(new Profile("sclip-stuff10k", Method.SCLIP, "stuff", 336, 224, 112, 40f, 0f, null));
        for (Profile p : l) m.put(p.name, p);
        return Collections.unmodifiableMap(m);
    }
}
