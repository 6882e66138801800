package dev.clipengine.weights;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A weights file that cannot be used: the message names the file and the problem in one line.
 * Control characters (a hostile tensor name may hold a newline) are escaped so that the message
 * always stays on one line, and very long messages are shortened.
 */
public class WeightsFormatException extends IOException {

    /** Messages longer than this are cut (a hostile header could otherwise flood the terminal). */
    static final int MAX_MESSAGE = 1000;

    public WeightsFormatException(Path file, String problem) {
        super(oneLine(file + ": " + problem));
    }

    public WeightsFormatException(String message) {
        super(oneLine(message));
    }

    /** {@code s} with control characters escaped and cut to a reasonable length. */
    static String oneLine(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_MESSAGE + 16));
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= MAX_MESSAGE) {
                b.append("...");
                break;
            }
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (unsafe(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    /**
     * Characters a terminal acts on or that break a line: C0 and C1 controls (ESC and CSI start escape
     * sequences), DEL, the Unicode line and paragraph separators, and the bidirectional overrides
     * (which make a printed line read differently from its bytes).
     */
    static boolean unsafe(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029'
                || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
    }
}
