package dev.clipengine.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * OpenAI CLIP's byte-level BPE tokenizer ({@code clip/simple_tokenizer.py}), vocabulary
 * {@code bpe_simple_vocab_16e6.txt.gz} (49408 ids: 256 byte symbols, the same 256 with {@code </w>},
 * 48894 merges, {@link #SOT}, {@link #EOT}).
 *
 * <p>Cleaning: see {@link TextCleaner} — ftfy.fix_text <b>without mojibake repair</b> (the other ftfy
 * fixes and NFC are applied), {@code html.unescape} twice, whitespace collapsed, lower-cased. Then
 * the reference pre-token regex (Unicode letters/numbers, contractions, special tokens), UTF-8 bytes
 * mapped through GPT-2's {@code bytes_to_unicode}, {@code </w>} on the last symbol, and merges of the
 * lowest-ranked adjacent pair until none applies.
 *
 * <p>Instances are immutable and thread-safe (the per-word cache is a bounded concurrent map).
 */
public final class ClipTokenizer {

    /** {@code <|startoftext|>}. */
    public static final int SOT = 49406;
    /** {@code <|endoftext|>}. */
    public static final int EOT = 49407;
    /** Vocabulary size. */
    public static final int VOCAB_SIZE = 49408;
    /** CLIP's context length. */
    public static final int CONTEXT_LENGTH = 77;

    private static final String RESOURCE = "/dev/clipengine/text/bpe_simple_vocab_16e6.txt.gz";
    private static final int MERGES = 49152 - 256 - 2;
    private static final int CACHE_LIMIT = 1 << 16;

    /**
     * The reference pattern. U+0345 (combining ypogegrammeni, whose case folding is a letter) is left
     * out of the last class because Python's {@code regex} module with IGNORECASE matches it with no
     * alternative, so the reference drops it.
     */
    private static final Pattern PRE_TOKEN = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}\\u0345]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

    private static volatile ClipTokenizer openAi;

    /** Byte value → id of its byte-unicode symbol (without {@code </w>}; +256 with it). */
    private final int[] byteId = new int[256];
    /** Open-addressing map (first id, second id) → merge rank. */
    private final long[] pairKeys;
    private final int[] pairRanks;
    private final int pairMask;
    /** Merge rank → id of the merged symbol. */
    private final int[] mergedId;
    /** Id → symbol string (byte-unicode chars, maybe ending in {@code </w>}). */
    private final String[] symbols;
    private final Map<Integer, Integer> byteDecoder = new HashMap<>();
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /** The OpenAI tokenizer with the bundled vocabulary; loaded once, then shared. */
    public static ClipTokenizer openAi() {
        ClipTokenizer t = openAi;
        if (t == null) {
            synchronized (ClipTokenizer.class) {
                t = openAi;
                if (t == null) {
                    try (InputStream in = ClipTokenizer.class.getResourceAsStream(RESOURCE)) {
                        if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
                        t = new ClipTokenizer(in);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read " + RESOURCE, e);
                    }
                    openAi = t;
                }
            }
        }
        return t;
    }

    /** Reads a gzip-compressed {@code bpe_simple_vocab_16e6.txt}-format merges file. */
    public ClipTokenizer(InputStream gzippedMerges) throws IOException {
        byte[] raw;
        try (GZIPInputStream gz = new GZIPInputStream(gzippedMerges, 1 << 16)) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream(1 << 20);
            gz.transferTo(bos);
            raw = bos.toByteArray();
        }
        String[] lines = new String(raw, StandardCharsets.UTF_8).split("\n", -1);
        if (lines.length < MERGES + 1) {
            throw new IOException("BPE merges file has " + (lines.length - 1) + " lines, need " + MERGES);
        }
        int[] bs = bytesToUnicodeOrder();
        symbols = new String[VOCAB_SIZE];
        Map<String, Integer> encoder = new HashMap<>(VOCAB_SIZE * 2);
        for (int i = 0; i < 256; i++) {
            String ch = Character.toString(byteToUnicode(bs[i]));
            byteId[bs[i]] = i;
            symbols[i] = ch;
            symbols[256 + i] = ch + "</w>";
            byteDecoder.put(byteToUnicode(bs[i]), bs[i]);
        }
        mergedId = new int[MERGES];
        int cap = Integer.highestOneBit(MERGES * 4 - 1) << 1;
        pairKeys = new long[cap];
        Arrays.fill(pairKeys, -1L);
        pairRanks = new int[cap];
        pairMask = cap - 1;
        for (int i = 0; i < 512; i++) encoder.put(symbols[i], i);
        for (int r = 0; r < MERGES; r++) {
            String line = lines[r + 1];
            int sp = line.indexOf(' ');
            if (sp <= 0 || line.indexOf(' ', sp + 1) >= 0) throw new IOException("bad merge line " + (r + 2) + ": " + line);
            String a = line.substring(0, sp), b = line.substring(sp + 1);
            Integer ia = encoder.get(a), ib = encoder.get(b);
            if (ia == null || ib == null) throw new IOException("merge line " + (r + 2) + " uses unknown symbol: " + line);
            int id = 512 + r;
            symbols[id] = a + b;
            encoder.put(a + b, id);
            mergedId[r] = id;
            putPair(pairKey(ia, ib), r);
        }
        symbols[SOT] = "<|startoftext|>";
        symbols[EOT] = "<|endoftext|>";
    }

    /** BPE ids of {@code text} after cleaning, without SOT/EOT. */
    public int[] encode(String text) {
        String cleaned = TextCleaner.clean(text);
        int[] out = new int[Math.max(16, cleaned.length())];
        int n = 0;
        Matcher m = PRE_TOKEN.matcher(cleaned);
        while (m.find()) {
            int[] ids = bpeToken(m.group());
            if (n + ids.length > out.length) out = Arrays.copyOf(out, Math.max(out.length * 2, n + ids.length));
            System.arraycopy(ids, 0, out, n, ids.length);
            n += ids.length;
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * {@code [SOT] + encode(text) + [EOT]}, zero-padded to {@code contextLength}; an over-long result is
     * cut to {@code contextLength} with EOT as its last id (open_clip's truncation). Empty text gives
     * {@code [SOT, EOT, 0, ...]}.
     */
    public int[] tokenize(String text, int contextLength) {
        return tokenize(text, contextLength, true);
    }

    /**
     * As {@link #tokenize(String, int)}; with {@code truncate == false} an over-long text throws
     * {@link IllegalArgumentException} instead (OpenAI {@code clip.tokenize(truncate=False)}).
     */
    public int[] tokenize(String text, int contextLength, boolean truncate) {
        if (contextLength < 2) throw new IllegalArgumentException("contextLength must be >= 2, got " + contextLength);
        int[] ids = encode(text);
        int[] out = new int[contextLength];
        out[0] = SOT;
        if (ids.length + 2 > contextLength) {
            if (!truncate) {
                throw new IllegalArgumentException("Input text is too long for context length " + contextLength
                        + " (" + (ids.length + 2) + " tokens): " + abbreviate(text));
            }
            System.arraycopy(ids, 0, out, 1, contextLength - 2);
            out[contextLength - 1] = EOT;
        } else {
            System.arraycopy(ids, 0, out, 1, ids.length);
            out[ids.length + 1] = EOT;
        }
        return out;
    }

    /** {@link #tokenize(String, int)} for each text. */
    public int[][] tokenize(List<String> texts, int contextLength) {
        int[][] out = new int[texts.size()][];
        for (int i = 0; i < out.length; i++) out[i] = tokenize(texts.get(i), contextLength);
        return out;
    }

    /**
     * The reference {@code decode}: symbols concatenated, byte-decoded as UTF-8 (invalid bytes
     * replaced), {@code </w>} → space. Padding zeros are skipped; SOT/EOT come out as their names.
     */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean sawEot = false;
        for (int id : ids) {
            if (id < 0 || id >= VOCAB_SIZE) throw new IllegalArgumentException("token id out of range: " + id);
            if (id == 0 && sawEot) continue; // padding after EOT
            if (id == EOT) sawEot = true;
            String s = symbols[id];
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                i += Character.charCount(cp);
                bytes.write(byteDecoder.get(cp)); // every symbol char (also of SOT/EOT) is a byte symbol
            }
        }
        return bytes.toString(StandardCharsets.UTF_8).replace("</w>", " ");
    }

    /** Id of a pre-token (one regex match), BPE-merged. */
    private int[] bpeToken(String token) {
        if (token.equals("<|startoftext|>")) return new int[] {SOT};
        if (token.equals("<|endoftext|>")) return new int[] {EOT};
        int[] cached = cache.get(token);
        if (cached != null) return cached;
        byte[] utf8 = token.getBytes(StandardCharsets.UTF_8);
        int[] word = new int[utf8.length];
        for (int i = 0; i < utf8.length; i++) word[i] = byteId[utf8[i] & 0xff];
        word[word.length - 1] += 256; // last symbol carries </w>
        int n = word.length;
        while (n > 1) {
            int best = Integer.MAX_VALUE;
            long bestKey = 0;
            for (int i = 0; i + 1 < n; i++) {
                long key = pairKey(word[i], word[i + 1]);
                int r = rank(key);
                if (r < best) {
                    best = r;
                    bestKey = key;
                }
            }
            if (best == Integer.MAX_VALUE) break;
            int first = (int) (bestKey >>> 32), second = (int) bestKey, merged = mergedId[best];
            int w = 0;
            for (int i = 0; i < n; ) {
                if (i + 1 < n && word[i] == first && word[i + 1] == second) {
                    word[w++] = merged;
                    i += 2;
                } else {
                    word[w++] = word[i++];
                }
            }
            n = w;
        }
        int[] ids = Arrays.copyOf(word, n);
        if (cache.size() < CACHE_LIMIT) cache.putIfAbsent(token, ids);
        return ids;
    }

    private static long pairKey(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    private void putPair(long key, int rank) {
        int h = mix(key) & pairMask;
        while (pairKeys[h] != -1L) {
            if (pairKeys[h] == key) throw new IllegalStateException("duplicate merge pair at rank " + rank);
            h = (h + 1) & pairMask;
        }
        pairKeys[h] = key;
        pairRanks[h] = rank;
    }

    private int rank(long key) {
        int h = mix(key) & pairMask;
        while (true) {
            long k = pairKeys[h];
            if (k == key) return pairRanks[h];
            if (k == -1L) return Integer.MAX_VALUE;
            h = (h + 1) & pairMask;
        }
    }

    private static int mix(long key) {
        long x = key * 0x9E3779B97F4A7C15L;
        return (int) (x ^ (x >>> 29) ^ (x >>> 32));
    }

    /** GPT-2's {@code bytes_to_unicode} key order: printable ranges first, then the other bytes. */
    private static int[] bytesToUnicodeOrder() {
        int[] bs = new int[256];
        int n = 0;
        for (int b = '!'; b <= '~'; b++) bs[n++] = b;
        for (int b = 0xA1; b <= 0xAC; b++) bs[n++] = b;
        for (int b = 0xAE; b <= 0xFF; b++) bs[n++] = b;
        for (int b = 0; b < 256; b++) if (!printable(b)) bs[n++] = b;
        return bs;
    }

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** GPT-2's {@code bytes_to_unicode} value for byte {@code b}. */
    private static int byteToUnicode(int b) {
        if (printable(b)) return b;
        int n = 0;
        for (int x = 0; x < b; x++) if (!printable(x)) n++;
        return 256 + n;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
