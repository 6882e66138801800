package dev.clipengine.serve;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MultipartTest {

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void splitsPartsAndKeepsBinaryDataThatLooksLikeADelimiter() {
        // the file holds CR LF, "--", and the boundary without its leading CR LF: none of them ends the part
        byte[] file = bytes("\u0089PNG\r\n--\r\n--XYZ not the end\r\n-\u0000\u00ff");
        String body = "--XYZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a b.png\"\r\nContent-Type: image/png\r\n\r\n"
                + new String(file, StandardCharsets.ISO_8859_1) + "\r\n--XYZ\r\nContent-Disposition: form-data; name=\"classes\"\r\n\r\n"
                + "road, sky\r\n--XYZ--\r\n";
        List<Multipart.Part> parts = Multipart.parse(bytes(body), Multipart.boundary("multipart/form-data; boundary=XYZ"));
        assertEquals(2, parts.size());
        assertEquals("image", parts.get(0).name());
        assertEquals("a b.png", parts.get(0).filename());
        assertArrayEquals(file, parts.get(0).data());
        assertEquals("classes", parts.get(1).name());
        assertNull(parts.get(1).filename());
        assertEquals("road, sky", parts.get(1).text());
    }

    @Test
    void quotedBoundaryAndEmptyForm() {
        assertEquals("a=b", Multipart.boundary("multipart/form-data; charset=utf-8; boundary=\"a=b\""));
        assertEquals(List.of(), Multipart.parse(bytes("--q--\r\n"), "q"));
    }

    @Test
    void malformedBodiesAre400AndOtherTypes415() {
        assertEquals(415, assertThrows(HttpError.class, () -> Multipart.boundary("application/json")).status);
        assertEquals(415, assertThrows(HttpError.class, () -> Multipart.boundary(null)).status);
        assertEquals(400, assertThrows(HttpError.class, () -> Multipart.boundary("multipart/form-data")).status);
        for (String body : List.of("", "no delimiter at all", "--q\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
                "--q\r\nContent-Disposition: form-data\r\n\r\nx\r\n--q--", "--q\r\nno blank line after the headers", "--qX")) {
            HttpError e = assertThrows(HttpError.class, () -> Multipart.parse(bytes(body), "q"), body);
            assertEquals(400, e.status, body);
        }
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= Multipart.MAX_PARTS; i++) many.append("--q\r\nContent-Disposition: form-data; name=\"p").append(i).append("\"\r\n\r\nx\r\n");
        many.append("--q--");
        assertEquals(400, assertThrows(HttpError.class, () -> Multipart.parse(bytes(many.toString()), "q")).status);
    }
}
