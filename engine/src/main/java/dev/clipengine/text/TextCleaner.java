package dev.clipengine.text;

import java.math.BigInteger;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text cleaning of OpenAI's CLIP {@code SimpleTokenizer}:
 * {@code whitespace_clean(basic_clean(text)).lower()}, where
 * {@code basic_clean = ftfy.fix_text, html.unescape twice, strip} and
 * {@code whitespace_clean = re.sub(r"\s+", " ", text).strip()}.
 *
 * <p>{@code ftfy.fix_text} (ftfy 6.x, default configuration) is reproduced except for its
 * <b>mojibake repair</b> ({@code fix_encoding}: re-decoding text that was decoded with the wrong
 * codec, e.g. {@code "cafÃ©"} → {@code "café"}), which is not done. Everything else is: HTML entity
 * unescaping in ftfy's "auto" mode (per line, disabled from the first line containing {@code '<'}),
 * C1 controls read as Windows-1252, Latin ligatures, full/half-width forms, curly quotes, line breaks,
 * lone surrogates → U+FFFD, ANSI terminal escapes, control characters, NFC normalization, repeated
 * until nothing changes. {@code html.unescape} follows CPython exactly (full HTML5 table, the
 * semicolon-less legacy names, numeric references with CPython's replacements for invalid code
 * points). Whitespace is Python's {@code str.isspace} set.
 *
 * <p>Stateless and thread-safe.
 */
final class TextCleaner {
    private TextCleaner() {}

    /** ftfy's {@code max_decode_length} (in code points). */
    private static final int MAX_DECODE_LENGTH = 1_000_000;

    private static final Map<String, String> HTML5 = new HashMap<>(4096);
    private static final Map<String, String> FTFY_ENTITIES = new HashMap<>(4096);
    private static final Map<Integer, String> INVALID_CHARREFS = new HashMap<>();
    private static final Set<Integer> INVALID_CODEPOINTS = new HashSet<>();
    private static final Map<Integer, String> WIDTH = new HashMap<>();
    private static final Map<Integer, String> LIGATURES = new HashMap<>();
    private static final Set<Integer> CONTROL = new HashSet<>();
    private static final String[] C1 = new String[32];

    private static final Pattern CHARREF =
            Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");
    private static final Pattern FTFY_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    private static final Pattern ANSI = Pattern.compile("\u001b\\[((?:\\p{Nd}|;)*)([a-zA-Z])");

    static {
        TextTables tables = TextTables.bundled();
        parsePairs(tables.section("html5"), HTML5);
        for (Map.Entry<String, String> e : HTML5.entrySet()) {
            if (e.getKey().endsWith(";")) FTFY_ENTITIES.put("&" + e.getKey(), e.getValue());
        }
        Map<String, String> upper = new HashMap<>();
        parsePairs(tables.section("ftfy-upper-entities"), upper);
        upper.forEach((k, v) -> FTFY_ENTITIES.put("&" + k, v));
        Map<String, String> tmp = new HashMap<>();
        parsePairs(tables.section("invalid-charrefs"), tmp);
        tmp.forEach((k, v) -> INVALID_CHARREFS.put(Integer.parseInt(k, 16), v));
        for (String s : tables.section("invalid-codepoints")) INVALID_CODEPOINTS.add(Integer.parseInt(s, 16));
        tmp.clear();
        parsePairs(tables.section("width-map"), tmp);
        tmp.forEach((k, v) -> WIDTH.put(Integer.parseInt(k, 16), v));
        tmp.clear();
        parsePairs(tables.section("ligatures"), tmp);
        tmp.forEach((k, v) -> LIGATURES.put(Integer.parseInt(k, 16), v));
        for (String s : tables.section("control-chars")) CONTROL.add(Integer.parseInt(s, 16));
        List<String> c1 = tables.section("c1-sloppy-1252");
        if (c1.size() != 32) throw new IllegalStateException(TextTables.RESOURCE + ": c1-sloppy-1252 has " + c1.size() + " entries, not 32");
        for (int i = 0; i < 32; i++) C1[i] = Character.toString(Integer.parseInt(c1.get(i), 16));
    }

    private static void parsePairs(List<String> entries, Map<String, String> into) {
        for (String entry : entries) {
            int eq = entry.lastIndexOf('=');
            StringBuilder v = new StringBuilder();
            for (String cp : entry.substring(eq + 1).split(",")) v.appendCodePoint(Integer.parseInt(cp, 16));
            into.put(entry.substring(0, eq), v.toString());
        }
    }

    /** {@code whitespace_clean(basic_clean(text)).lower()}. */
    static String clean(String text) {
        String t = fixText(text);
        t = htmlUnescape(htmlUnescape(t));
        t = strip(t);
        t = collapseWhitespace(t);
        t = strip(t);
        return pyLower(t);
    }

    /**
     * Python's {@code str.lower()}: full lower-case mapping, with CPython's Final_Sigma rule for
     * U+03A3 (Java's own rule looks at word boundaries instead and differs, e.g. before "①").
     */
    static String pyLower(String s) {
        if (s.indexOf('\u03A3') < 0) return s.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp == 0x03A3) out.append(finalSigma(s, i) ? '\u03C2' : '\u03C3');
            else out.append(Character.toString(cp).toLowerCase(Locale.ROOT));
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    /** CPython {@code handle_capital_sigma}: cased case-ignorable* SIGMA !(case-ignorable* cased). */
    private static boolean finalSigma(String s, int i) {
        int j = i, c = 0;
        boolean found = false;
        while (j > 0) {
            c = s.codePointBefore(j);
            j -= Character.charCount(c);
            if (!caseIgnorable(c)) {
                found = true;
                break;
            }
        }
        if (!found || !cased(c)) return false;
        for (j = i + 1; j < s.length(); ) {
            c = s.codePointAt(j);
            if (!caseIgnorable(c)) return !cased(c);
            j += Character.charCount(c);
        }
        return true;
    }

    private static boolean cased(int cp) {
        return Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp);
    }

    /** Unicode Case_Ignorable: Mn, Me, Cf, Lm, Sk, or Word_Break MidLetter/MidNumLet/Single_Quote. */
    private static boolean caseIgnorable(int cp) {
        return switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.FORMAT, Character.MODIFIER_LETTER,
                    Character.MODIFIER_SYMBOL -> true;
            default -> switch (cp) {
                case 0x27, 0x2E, 0x3A, 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027, 0xFE13, 0xFE52,
                        0xFE55, 0xFF07, 0xFF0E, 0xFF1A -> true;
                default -> false;
            };
        };
    }

    /** Python {@code str.isspace} for one code point (category Zs or bidi class WS, B, S). */
    static boolean isPySpace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
                    0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /** Python {@code str.strip()} (no argument). */
    static String strip(String s) {
        int b = 0, e = s.length();
        while (b < e && isPySpace(s.charAt(b))) b++;
        while (e > b && isPySpace(s.charAt(e - 1))) e--;
        return s.substring(b, e);
    }

    /** {@code re.sub(r"\s+", " ", s)} with Python's (str) definition of {@code \s}. */
    static String collapseWhitespace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean inSpace = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i); // all whitespace code points are in the BMP
            if (isPySpace(c)) {
                if (!inSpace) out.append(' ');
                inSpace = true;
            } else {
                out.append(c);
                inSpace = false;
            }
        }
        return out.toString();
    }

    // ------------------------------------------------------------------ html.unescape

    /** CPython's {@code html.unescape}. */
    static String htmlUnescape(String s) {
        if (s.indexOf('&') < 0) return s;
        Matcher m = CHARREF.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(replaceCharref(m.group(1))));
        m.appendTail(out);
        return out.toString();
    }

    private static String replaceCharref(String s) {
        if (s.charAt(0) == '#') {
            boolean hex = s.length() > 1 && (s.charAt(1) == 'x' || s.charAt(1) == 'X');
            String digits = s.substring(hex ? 2 : 1);
            if (digits.endsWith(";")) digits = digits.substring(0, digits.length() - 1);
            BigInteger big = new BigInteger(digits, hex ? 16 : 10);
            int num = big.bitLength() > 31 ? Integer.MAX_VALUE : big.intValue();
            String invalid = INVALID_CHARREFS.get(num);
            if (invalid != null) return invalid;
            if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return "\uFFFD";
            if (INVALID_CODEPOINTS.contains(num)) return "";
            return Character.toString(num);
        }
        String v = HTML5.get(s);
        if (v != null) return v;
        for (int x = s.length() - 1; x > 1; x--) {
            v = HTML5.get(s.substring(0, x));
            if (v != null) return v + s.substring(x);
        }
        return "&" + s;
    }

    // ------------------------------------------------------------------ ftfy.fix_text

    /** {@code ftfy.fix_text(text)} with default settings, without mojibake repair (see class doc). */
    static String fixText(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean unescape = true; // "auto"
        int pos = 0, n = text.length();
        while (pos < n) {
            int nl = text.indexOf('\n', pos);
            int end = nl < 0 ? n : nl + 1;
            if (text.codePointCount(pos, end) > MAX_DECODE_LENGTH) {
                end = text.offsetByCodePoints(pos, MAX_DECODE_LENGTH);
            }
            String segment = text.substring(pos, end);
            if (unescape && segment.indexOf('<') >= 0) unescape = false;
            out.append(fixSegment(segment, unescape));
            pos = end;
        }
        return out.toString();
    }

    private static String fixSegment(String text, boolean unescape) {
        while (true) {
            String orig = text;
            if (unescape) text = ftfyUnescapeHtml(text);
            // ftfy.fix_encoding (mojibake repair) is not reproduced.
            text = fixC1Controls(text);
            text = translate(text, LIGATURES);
            text = translate(text, WIDTH);
            text = uncurlQuotes(text);
            text = fixLineBreaks(text);
            text = fixSurrogates(text);
            text = ANSI.matcher(text).replaceAll("");
            text = removeControlChars(text);
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
            if (text.equals(orig)) return text;
        }
    }

    private static String ftfyUnescapeHtml(String text) {
        if (text.indexOf('&') < 0) return text;
        Matcher m = FTFY_ENTITY.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            String e = m.group();
            String r = FTFY_ENTITIES.get(e);
            if (r == null) {
                if (e.startsWith("&#")) {
                    String u = htmlUnescape(e);
                    r = u.indexOf(';') >= 0 ? e : u;
                } else {
                    r = e;
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement(r));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String fixC1Controls(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80 && c <= 0x9F) {
                if (out == null) out = new StringBuilder(s.length()).append(s, 0, i);
                out.append(C1[c - 0x80]);
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    private static String translate(String s, Map<Integer, String> map) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int len = Character.charCount(cp);
            String r = map.get(cp);
            if (r != null && out == null) out = new StringBuilder(s.length()).append(s, 0, i);
            if (out != null) {
                if (r != null) out.append(r);
                else out.appendCodePoint(cp);
            }
            i += len;
        }
        return out == null ? s : out.toString();
    }

    private static String uncurlQuotes(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            char r = (c == '\u02BC' || (c >= '\u2018' && c <= '\u201B')) ? '\''
                    : (c >= '\u201C' && c <= '\u201F') ? '"' : 0;
            if (r != 0 && out == null) out = new StringBuilder(s).delete(i, s.length());
            if (out != null) out.append(r != 0 ? r : c);
        }
        return out == null ? s : out.toString();
    }

    private static String fixLineBreaks(String s) {
        return s.replace("\r\n", "\n").replace('\r', '\n').replace('\u2028', '\n')
                .replace('\u2029', '\n').replace('\u0085', '\n');
    }

    /** Lone surrogates become U+FFFD (pairs are already single code points in a Java string). */
    private static String fixSurrogates(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean lone = false;
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    if (out != null) out.append(c).append(s.charAt(i + 1));
                    i++;
                    continue;
                }
                lone = true;
            } else if (Character.isLowSurrogate(c)) {
                lone = true;
            }
            if (lone && out == null) out = new StringBuilder(s.length()).append(s, 0, i);
            if (out != null) out.append(lone ? '\uFFFD' : c);
        }
        return out == null ? s : out.toString();
    }

    private static String removeControlChars(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int len = Character.charCount(cp);
            boolean drop = CONTROL.contains(cp);
            if (drop && out == null) out = new StringBuilder(s.length()).append(s, 0, i);
            if (out != null && !drop) out.appendCodePoint(cp);
            i += len;
        }
        return out == null ? s : out.toString();
    }
}
