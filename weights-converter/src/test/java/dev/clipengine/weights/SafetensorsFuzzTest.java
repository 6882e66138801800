package dev.clipengine.weights;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz target: the safetensors reader (header length, JSON, entries, offsets, overlaps) and the
 * checkpoint mapping behind it, on arbitrary bytes. The only acceptable failure is a
 * {@link WeightsFormatException}; anything else (an unchecked exception, an error, a hang, running
 * out of memory) is a finding. Seeds: {@code SafetensorsFuzzTestInputs/open/} (a small valid file
 * and the fixture's OpenCLIP header). See {@code TorchZipFuzzTest} for how to run it longer.
 */
class SafetensorsFuzzTest {

    private static final Path FILE = tempFile();

    private static Path tempFile() {
        try {
            Path f = Files.createTempFile("fuzz-", ".safetensors");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** libFuzzer/Jazzer entry point (also used by the standalone driver for long runs). */
    public static void fuzzerTestOneInput(byte[] data) throws IOException {
        parse(data);
        FuzzLimits.check();
    }

    private static void parse(byte[] data) throws IOException {
        Files.write(FILE, data);
        try (SafetensorsFile f = SafetensorsFile.open(FILE)) {
            for (Tensor t : f.tensors().values()) {
                long n = t.data().byteSize();
                if (n > 0) t.data().get(ValueLayout.JAVA_BYTE, n - 1);
            }
        } catch (WeightsFormatException expected) {
            return;
        }
        try (ClipCheckpoint ck = ClipCheckpoint.open(FILE, new HeadCounts(4, 2), s -> { })) {
            ck.config().summary();
        } catch (WeightsFormatException expected) {
            // refused with a message: fine
        }
    }

    @FuzzTest(maxDuration = "3s")
    @Timeout(FuzzLimits.SECONDS_PER_INPUT)
    void open(byte[] data) throws IOException {
        fuzzerTestOneInput(data);
    }
}
