package dev.clipengine.segment;

import dev.clipengine.midlayer.ResClipSettings;
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
                      float logitScale, float probThd, Float areaThd, ResClipSettings resclip) {

    /** A profile of a method without ResCLIP constants of its own. */
    public Profile(String name, Method method, String vocabulary, int shortSide, int crop, int stride, float logitScale,
                   float probThd, Float areaThd) {
        this(name, method, vocabulary, shortSide, crop, stride, logitScale, probThd, areaThd, ResClipSettings.defaults());
    }

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

    /**
     * The profile of a repository ({@code sclip}, {@code naclip}, {@code clearclip}, {@code scclip}, {@code resclip}) for a
     * dataset key, if any.
     */
    public static Profile forDataset(String repo, String dataset) {
        return ALL.get(repo + "-" + dataset);
    }

    /** NACLIP whole-image runs upsample in two steps; ClearCLIP pads windows to the patch (§3.4, §3.7). */
    public SlideOptions options(Method m, double sigma, List<String> templates) {
        return new SlideOptions(m, sigma, shortSide, 2048, crop, stride, logitScale, probThd, areaThd,
                m == Method.NACLIP || m == Method.RESCLIP, m == Method.CLEARCLIP, PositionalInterpolation.CLIPTRASE, templates,
                resclip, null);
    }

    /** ResCLIP's per-dataset temp_thd, RCS [τ, λ] and SFR [τ, λ] (mid-layer-methods §2.10), σ 5. */
    private static ResClipSettings resclipSettings(String dataset) {
        return switch (dataset) {
            case "voc21" -> new ResClipSettings(0.50f, 2.0f, 0.3f, 2.2f, 0.7f, 5.0);
            case "voc20" -> new ResClipSettings(0.10f, 2.0f, 0.6f, 2.1f, 0.6f, 5.0);
            case "pc60" -> new ResClipSettings(0.30f, 2.0f, 0.3f, 1.8f, 0.7f, 5.0);
            case "pc59" -> new ResClipSettings(0.25f, 2.0f, 0.4f, 1.8f, 0.7f, 5.0);
            case "object", "stuff" -> new ResClipSettings(0.11f, 2.0f, 0.4f, 1.8f, 0.7f, 5.0);
            case "city" -> new ResClipSettings(0.10f, 2.0f, 0.2f, 2.1f, 0.6f, 5.0);
            case "ade" -> new ResClipSettings(0.25f, 2.0f, 0.3f, 2.1f, 0.7f, 5.0);
            default -> throw new IllegalArgumentException("no ResCLIP settings for " + dataset);
        };
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
        for (String d : DATASETS) {
            // SC-CLIP (mid-layer-methods §1.10): SCLIP's protocol at S 336 (City 560); logit 50 / 40 / 55 and
            // prob 0.15 / 0.15 / 0.35 for VOC21 / PC60 / Object, area 0.1 on VOC21
            float scale = switch (d) {
                case "voc21" -> 50f;
                case "object" -> 55f;
                default -> 40f;
            };
            float prob = switch (d) {
                case "voc21", "pc60" -> 0.15f;
                case "object" -> 0.35f;
                default -> 0f;
            };
            int s = d.equals("city") ? 560 : 336;
            l.add(new Profile("scclip-" + d, Method.SCCLIP, d, s, 224, 112, scale, prob, d.equals("voc21") ? 0.1f : null));
            // ResCLIP (§2.10): NACLIP's segmentor, logit 40, VOC21/VOC20 whole image, its temp_thd, RCS and SFR per dataset
            boolean whole = d.equals("voc21") || d.equals("voc20");
            float resProb = d.equals("voc21") || d.equals("pc60") || d.equals("object") ? 0.1f : 0f;
            l.add(new Profile("resclip-" + d, Method.RESCLIP, d, s, whole ? 0 : 224, whole ? 0 : 112, 40f, resProb, null,
                    resclipSettings(d)));
        }
        for (Profile p : l) m.put(p.name, p);
        return Collections.unmodifiableMap(m);
    }
}
