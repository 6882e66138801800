package dev.clipengine.text;

import dev.clipengine.Fixtures;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.weights.Json;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ClipTokenizerTest {

    private static final ClipTokenizer TOK = ClipTokenizer.openAi();

    @Test
    void goldenTextIds() throws Exception {
        try (var f = Fixtures.golden()) {
            long[] ids = f.tensor("text.ids").toLongArray();
            @SuppressWarnings("unchecked")
            List<Object> texts = (List<Object>) Json.parse(f.metadata().get("texts"));
            assertEquals(10, texts.size());
            assertEquals(10 * 77, ids.length);
            for (int i = 0; i < texts.size(); i++) {
                int[] got = TOK.tokenize((String) texts.get(i), 77);
                int[] want = new int[77];
                for (int j = 0; j < 77; j++) want[j] = (int) ids[i * 77 + j];
                assertArrayEquals(want, got, "text " + i + ": " + texts.get(i));
            }
        }
    }

    @Test
    void specVectors() {
        assertArrayEquals(new int[] {49406, 320, 2103, 1125, 539, 320, 27735, 3980, 269, 49407},
                trim(TOK.tokenize("a bad photo of a aeroplane.", 77)));
        assertArrayEquals(new int[] {49406, 320, 1125, 539, 320, 1583, 269, 49407},
                trim(TOK.tokenize("a photo of a tv.", 77)));
        assertArrayEquals(new int[] {49406, 320, 1125, 539, 518, 1626, 531, 862, 3547, 4841, 3912, 269, 49407},
                trim(TOK.tokenize("a photo of the hard to see pottedplant.", 77)));
        assertArrayEquals(TOK.tokenize("bed", 77), TOK.tokenize("bed ", 77));
        assertArrayEquals(TOK.encode("bed"), TOK.encode("  bed \n"));
    }

    /** Expected ids from OpenAI's simple_tokenizer.py run with ftfy 6.3.1 and regex 2026.5.9 (CPython 3.11). */
    static Stream<Arguments> referenceVectors() {
        return Stream.of(
                Arguments.of("don\u2019t stop \u201cbelieving\u201d",
                        new int[] {847, 713, 1691, 257, 19551, 257}),
                Arguments.of("\uff21\uff22\uff23 \uff11\uff12\uff13 fullwidth",
                        new int[] {5334, 272, 273, 274, 9407, 23571}),
                Arguments.of("\ufb01ne \ufb02ower \ufb03",
                        new int[] {3797, 4055, 1021, 328}),
                Arguments.of("I \u2764\ufe0f CLIP \ud83d\udc36\ud83d\udc31 emoji",
                        new int[] {328, 1752, 9289, 14466, 22979, 16327}),
                Arguments.of("\u6771\u4eac\u30bf\u30ef\u30fc \u3068 \u5bcc\u58eb\u5c71",
                        new int[] {48338, 21078, 105, 34941, 2429, 107, 30391, 4813, 357, 161, 107, 234, 161, 96, 104, 46096, 365}),
                Arguments.of("\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0393\u0395\u0399\u0391 \u03a3\u039f\u03a5\u03a3",
                        new int[] {26302, 16370, 29503, 110, 22176, 141, 480, 267, 38018, 16701, 141, 478, 256, 138, 111, 138, 113, 138, 117, 138, 365, 139, 225, 138, 123, 139, 227, 139, 480}),
                Arguments.of("e\u0301le\u0300ve NFC vs NFD",
                        new int[] {3459, 75, 12138, 563, 23695, 1547, 77, 11525}),
                Arguments.of("<|startoftext|>hello<|endoftext|> world",
                        new int[] {49406, 3306, 49407, 1002}),
                Arguments.of("a <b>bold</b> &amp; tag",
                        new int[] {320, 283, 321, 285, 8911, 34308, 321, 285, 261, 3640}),
                Arguments.of("&amp;amp;lt; nested &AMP; &EACUTE; &eacute &copy2024 &#233;&#xE9;&#x27;&#39;&#0;&#128;&#1114112;&notit; &unknownentity;",
                        new int[] {283, 557, 1356, 261, 4166, 4166, 5811, 273, 271, 273, 275, 3459, 4166, 46594, 47356, 34919, 47356, 126, 361, 585, 282, 261, 569, 1482, 1186, 28455, 282}),
                Arguments.of("It's I'M we'LL they'Re you'VE he'D",
                        new int[] {585, 568, 328, 880, 649, 1342, 889, 982, 592, 1200, 797, 1896}),
                Arguments.of("price: $1,234.56 (approx) -- 50% off!!!",
                        new int[] {2827, 281, 259, 272, 267, 273, 274, 275, 269, 276, 277, 263, 18266, 264, 2432, 276, 271, 260, 1007, 995}),
                Arguments.of("tab\tnew\nline\r\nvt\u000bff\ffs\u001cnbsp\u00a0ideo\u3000end",
                        new int[] {14724, 686, 1148, 31732, 1304, 69, 1672, 47977, 1909, 334, 806}),
                Arguments.of("zero\u200bwidth joiner\u200d",
                        new int[] {5848, 9844, 23571, 683, 5155, 728, 491}),
                Arguments.of("stra\u00dfe \u0130stanbul \u212aelvin \u0130\u0307",
                        new int[] {1894, 127, 253, 324, 328, 16384, 11231, 32859, 328, 136, 229, 16384}),
                Arguments.of("  \u2028line sep\u2029para  ",
                        new int[] {1148, 10434, 8976}),
                Arguments.of("\u001b[31mred\u001b[0m text",
                        new int[] {736, 4160}),
                Arguments.of("x\u0085y\u0080z",
                        new int[] {343, 959, 344, 6309, 345}),
                Arguments.of("\u0661\u0662\u0663 \u00bd \u2460 digits",
                        new int[] {149, 350, 149, 351, 149, 352, 33613, 158, 239, 510, 31710}),
                Arguments.of("a photo of a cat.</w> \u00e9\u00e9\u00e9",
                        new int[] {320, 1125, 539, 320, 2368, 13, 34308, 342, 285, 3459, 3459, 4166}),
                // Python's Final_Sigma rule (Java's String.toLowerCase differs before U+2460)
                Arguments.of("'ll\u03a3\u2460 \u039f\u0394\u039f\u03a3. \u03a3\u0391\u03a3 \u0391\u03a3\u2019\u0392",
                        new int[] {1342, 139, 480, 158, 239, 510, 138, 123, 138, 112, 138, 123, 139, 480, 269, 139, 225,
                            138, 109, 139, 480, 138, 109, 139, 481, 262, 138, 366}),
                // U+0345 matches no alternative of the pre-token regex under IGNORECASE and is dropped
                Arguments.of("\ud7df\u0345\ud7df \u0345 a\u0345b", new int[] {169, 253, 509, 169, 253, 509, 320, 321}),
                Arguments.of("supercalifragilisticexpialidocious antidisestablishmentarianism",
                        new int[] {1642, 2857, 13093, 2076, 5868, 26850, 835, 639, 38466, 3120, 4262, 7726, 12658, 1585, 44351}),
                Arguments.of("\ud835\udc00\ud835\udc01 math bold",
                        new int[] {15889, 222, 15889, 479, 6025, 8911}),
                Arguments.of("&lt;html&gt; entity then < later",
                        new int[] {283, 18231, 285, 28455, 1594, 283, 2941})
        );
    }

    @ParameterizedTest
    @MethodSource("referenceVectors")
    void matchesReferenceImplementation(String text, int[] ids) {
        assertArrayEquals(ids, TOK.encode(text), text);
    }

    @Test
    void mojibakeIsNotRepaired() {
        // ftfy would turn the mojibake "cafÃ©" into "café"; this port does not (documented).
        assertArrayEquals(TOK.encode("caf\u00c3\u00a9"), TOK.encode("caf\u00c3\u00a9"));
        assertTrue(!Arrays.equals(TOK.encode("caf\u00e9"), TOK.encode("caf\u00c3\u00a9")));
    }

    @Test
    void tokenizeFraming() {
        int[] empty = TOK.tokenize("", 77);
        assertEquals(77, empty.length);
        assertEquals(ClipTokenizer.SOT, empty[0]);
        assertEquals(ClipTokenizer.EOT, empty[1]);
        for (int i = 2; i < 77; i++) assertEquals(0, empty[i]);
        assertArrayEquals(empty, TOK.tokenize(" \t\n ", 77));

        String longText = "a very long prompt ".repeat(40);
        int[] ids = TOK.encode(longText);
        assertTrue(ids.length > 75);
        int[] t = TOK.tokenize(longText, 77);
        assertEquals(77, t.length);
        assertEquals(ClipTokenizer.SOT, t[0]);
        assertEquals(ClipTokenizer.EOT, t[76]);
        assertArrayEquals(Arrays.copyOf(ids, 75), Arrays.copyOfRange(t, 1, 76));
        assertThrows(IllegalArgumentException.class, () -> TOK.tokenize(longText, 77, false));

        // exactly fitting: 75 ids + SOT + EOT, no truncation
        int[] fit = TOK.tokenize("a ".repeat(75), 77, false);
        assertEquals(ClipTokenizer.EOT, fit[76]);
        assertEquals(320, fit[75]);
        int[] over = TOK.tokenize("a ".repeat(76), 77);
        assertEquals(ClipTokenizer.EOT, over[76]);
        assertEquals(320, over[75]);

        int[] tiny = TOK.tokenize("a photo", 2);
        assertArrayEquals(new int[] {ClipTokenizer.SOT, ClipTokenizer.EOT}, tiny);
        assertThrows(IllegalArgumentException.class, () -> TOK.tokenize("x", 1));
    }

    @Test
    void decodeRoundTrip() {
        assertEquals("<|startoftext|>a photo of a tv . <|endoftext|>", TOK.decode(TOK.tokenize("a photo of a TV.", 77)));
        assertEquals("caf\u00e9 cr\u00e8me ", TOK.decode(TOK.encode("Caf\u00e9 Cr\u00e8me")));
    }

    @Test
    void openAiIsShared() {
        assertSame(ClipTokenizer.openAi(), ClipTokenizer.openAi());
    }

    @Test
    void parallelEqualsSequential() throws Exception {
        List<String> texts = new ArrayList<>();
        String[] words = {"dog", "cat", "traffic-light", "caf\u00e9", "na\u00efve", "pottedplant", "12", "isn't",
            "&amp;", "\u6771\u4eac", "\ud83d\udc36", "aeroplane", "sofa", "tv", "hard", "to", "see"};
        for (int i = 0; i < 400; i++) {
            StringBuilder sb = new StringBuilder("a photo of");
            for (int j = 0; j < 1 + i % 7; j++) sb.append(' ').append(words[(i * 7 + j * 3) % words.length]).append(i % 13);
            texts.add(sb.toString());
        }
        ClipTokenizer seqTok, parTok;
        try (InputStream a = ClipTokenizer.class.getResourceAsStream("/dev/clipengine/text/bpe_simple_vocab_16e6.txt.gz");
             InputStream b = ClipTokenizer.class.getResourceAsStream("/dev/clipengine/text/bpe_simple_vocab_16e6.txt.gz")) {
            seqTok = new ClipTokenizer(a);
            parTok = new ClipTokenizer(b); // fresh cache, so threads race on it
        }
        List<int[]> expected = new ArrayList<>();
        for (String s : texts) expected.add(seqTok.tokenize(s, 77));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> futures = new ArrayList<>();
            for (String s : texts) futures.add(pool.submit(() -> parTok.tokenize(s, 77)));
            for (int i = 0; i < texts.size(); i++) assertArrayEquals(expected.get(i), futures.get(i).get(), texts.get(i));
        } finally {
            pool.shutdownNow();
        }
    }

    private static int[] trim(int[] padded) {
        int n = padded.length;
        while (n > 0 && padded[n - 1] == 0) n--;
        return Arrays.copyOf(padded, n);
    }
}
