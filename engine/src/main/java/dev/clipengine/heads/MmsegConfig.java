package dev.clipengine.heads;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The few values of the Python config an mmcv checkpoint embeds ({@code meta['config']}) that ZegCLIP's and TagCLIP's
 * inference reads beside the weights: the sliding-window crop and stride, the resize's short side, head counts, the
 * seen classes and the transductive flag. The text is only scanned for these assignments, never evaluated; a value
 * that is absent stays null and the caller falls back to the official ViT-B/16 release's.
 */
record MmsegConfig(Integer crop, Integer stride, Integer minSize, Integer visionHeads, Integer decoderHeads,
                   Integer textHeads, List<Integer> baseClasses, boolean selfTraining, Boolean discriminate) {

    static final MmsegConfig NONE = new MmsegConfig(null, null, null, null, null, null, null, false, null);

    static MmsegConfig parse(String text) {
        if (text == null || text.isBlank()) return NONE;
        return new MmsegConfig(
                integer(text, "crop_size\\s*=\\s*\\(\\s*(\\d+)"),
                integer(text, "\\bstride\\s*=\\s*\\(\\s*(\\d+)"),
                integer(text, "min_size\\s*=\\s*(\\d+)"),
                integer(text, "backbone\\s*=\\s*dict\\([^)]*?\\bheads\\s*=\\s*(\\d+)"),
                integer(text, "decode_head\\s*=\\s*dict\\([^)]*?\\bnum_heads\\s*=\\s*(\\d+)"),
                integer(text, "text_encoder\\s*=\\s*dict\\([^)]*?\\btransformer_heads\\s*=\\s*(\\d+)"),
                intList(text, "(?m)^\\s*base_class\\s*=\\s*\\[([0-9,\\s]*)\\]"),
                Pattern.compile("self_training\\s*=\\s*True").matcher(text).find(),
                flag(text, "discriminate\\s*=\\s*(True|False)"));
    }

    private static Integer integer(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.DOTALL).matcher(text);
        if (!m.find()) return null;
        try {
            int v = Integer.parseInt(m.group(1));
            return v > 0 ? v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Boolean flag(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? Boolean.valueOf(m.group(1).equals("True")) : null;
    }

    private static List<Integer> intList(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) return null;
        List<Integer> out = new ArrayList<>();
        for (String s : m.group(1).split(",")) {
            if (s.isBlank()) continue;
            try {
                out.add(Integer.parseInt(s.strip()));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return List.copyOf(out);
    }
}
