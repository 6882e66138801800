package dev.clipengine.serve;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A {@code multipart/form-data} body (RFC 7578) split into its parts. The JDK's HTTP server has no form parser; the
 * body is already in memory (bounded by the upload limit), so parsing is a scan for the boundary. Malformed bodies
 * are {@link HttpError}s with status 400.
 */
final class Multipart {

    /** One part: its form name, the file name when it is a file, its bytes. */
    record Part(String name, String filename, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** More parts than a form of this service can have: refuse a body of thousands of tiny parts early. */
    static final int MAX_PARTS = 64;
    private static final int MAX_PART_HEADER = 8192;

    private Multipart() {
    }

    /** The boundary of a {@code multipart/form-data} content type, or a 415/400 error. */
    static String boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new HttpError(415, "expected a multipart/form-data body (parts: image, classes or vocabulary, options), got "
                    + (contentType == null ? "no Content-Type" : "'" + contentType + "'"));
        }
        for (String param : contentType.split(";")) {
            String p = param.strip();
            if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
                String b = p.substring("boundary=".length());
                if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) b = b.substring(1, b.length() - 1);
                if (b.isEmpty() || b.length() > 70) throw new HttpError(400, "invalid multipart boundary");
                return b;
            }
        }
        throw new HttpError(400, "multipart/form-data without a boundary");
    }

    static List<Part> parse(byte[] body, String boundary) {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int at = indexOf(body, delimiter, 0);
        if (at < 0) throw new HttpError(400, "malformed multipart body: no boundary line");
        List<Part> parts = new ArrayList<>();
        byte[] next = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int pos = at + delimiter.length;
        while (true) {
            if (startsWith(body, pos, "--")) return parts;             // the closing delimiter
            if (!startsWith(body, pos, "\r\n")) throw new HttpError(400, "malformed multipart body: bad delimiter line");
            pos += 2;
            int headerEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), pos);
            if (headerEnd < 0 || headerEnd - pos > MAX_PART_HEADER) {
                throw new HttpError(400, "malformed multipart body: part headers missing or too long");
            }
            String headers = new String(body, pos, headerEnd - pos, StandardCharsets.UTF_8);
            int dataStart = headerEnd + 4;
            int end = indexOf(body, next, dataStart);
            // a delimiter is followed by "--" (the last) or CRLF; the same bytes followed by anything else are data
            while (end >= 0 && !startsWith(body, end + next.length, "--") && !startsWith(body, end + next.length, "\r\n")) {
                end = indexOf(body, next, end + 1);
            }
            if (end < 0) throw new HttpError(400, "malformed or truncated multipart body: a part has no closing boundary");
            if (parts.size() == MAX_PARTS) throw new HttpError(400, "more than " + MAX_PARTS + " multipart parts");
            parts.add(part(headers, Arrays.copyOfRange(body, dataStart, end)));
            pos = end + next.length;
        }
    }

    private static Part part(String headers, byte[] data) {
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0 || !line.substring(0, colon).strip().equalsIgnoreCase("content-disposition")) continue;
            String name = param(line, "name"), filename = param(line, "filename");
            if (name == null) break;
            return new Part(name, filename, data);
        }
        throw new HttpError(400, "malformed multipart body: a part has no Content-Disposition name");
    }

    /** {@code key="value"} (or unquoted) from a Content-Disposition line; browsers escape '"' as %22. */
    private static String param(String line, String key) {
        for (String piece : line.substring(line.indexOf(':') + 1).split(";")) {
            String p = piece.strip();
            int eq = p.indexOf('=');
            if (eq < 0 || !p.substring(0, eq).strip().equalsIgnoreCase(key)) continue;
            String v = p.substring(eq + 1).strip();
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
            return v.replace("%22", "\"");
        }
        return null;
    }

    private static boolean startsWith(byte[] a, int pos, String s) {
        if (pos + s.length() > a.length) return false;
        for (int i = 0; i < s.length(); i++) if (a[pos + i] != s.charAt(i)) return false;
        return true;
    }

    static int indexOf(byte[] a, byte[] pattern, int from) {
        byte first = pattern[0];
        outer:
        for (int i = from, last = a.length - pattern.length; i <= last; i++) {
            if (a[i] != first) continue;
            for (int j = 1; j < pattern.length; j++) if (a[i + j] != pattern[j]) continue outer;
            return i;
        }
        return -1;
    }
}
