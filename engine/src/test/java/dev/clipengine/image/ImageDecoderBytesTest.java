package dev.clipengine.image;

import dev.clipengine.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoding from memory (what a Spark task reads through Hadoop) gives what decoding the file gives. */
class ImageDecoderBytesTest {

    @TempDir
    Path tmp;

    @Test
    void bytesDecodeLikeTheFile() throws Exception {
        Fixtures.clipTiny();   // loud skip, or a failure under CI, without the shared folder
        for (String name : new String[] {"0016E5_07959.png", "ADE_val_00000001.jpg"}) {
            Path file = Fixtures.dataset(name);
            byte[] bytes = Files.readAllBytes(file);
            for (boolean exif : new boolean[] {false, true}) {
                assertEquals(ImageDecoder.read(file, exif), ImageDecoder.read(bytes, file.toString(), exif), name + " exif=" + exif);
            }
        }
    }

    @Test
    void badBytesFailInOneLineNamingTheSource() throws Exception {
        Fixtures.clipTiny();
        Path png = Fixtures.dataset("0016E5_07959.png");
        byte[] truncated = Arrays.copyOf(Files.readAllBytes(png), 3000);
        String[][] cases = {{"text", "not an image"}, {"empty", ""}, {"truncated", "png"}};
        for (String[] c : cases) {
            byte[] b = switch (c[0]) {
                case "text" -> c[1].getBytes();
                case "empty" -> new byte[0];
                default -> truncated;
            };
            IOException e = assertThrows(IOException.class, () -> ImageDecoder.read(b, "hdfs://nn/x/" + c[0] + ".png", false), c[0]);
            assertTrue(e.getMessage().startsWith("cannot read image hdfs://nn/x/" + c[0] + ".png: "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            // the file variant says the same about the same bytes
            Path f = Files.write(tmp.resolve(c[0] + ".png"), b);
            IOException fe = assertThrows(IOException.class, () -> ImageDecoder.read(f, false));
            assertEquals(fe.getMessage().replace(f.toString(), "X"), e.getMessage().replace("hdfs://nn/x/" + c[0] + ".png", "X"), c[0]);
        }
    }
}
