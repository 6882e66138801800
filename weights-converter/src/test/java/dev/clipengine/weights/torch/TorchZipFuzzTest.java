package dev.clipengine.weights.torch;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.clipengine.weights.FuzzLimits;
import org.junit.jupiter.api.Timeout;
import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz target: the zip reader, the unpickler, the TorchScript walk and the storage views together
 * ({@link TorchFile#open}) on arbitrary bytes. Only a {@link WeightsFormatException} is an
 * acceptable failure. Seeds: hand-made torch.save zips (views, deflated entries) and the TorchScript
 * fixture with its large storages left out.
 *
 * <p>In the test suite each fuzz test runs for 4 seconds (the {@code fuzz} execution of surefire
 * in this module's pom, with {@code JAZZER_FUZZ=1}, one JVM per class; corpus and findings under
 * {@code target/fuzz}). A longer run by hand, e.g. 10 minutes of this target:
 * <pre>
 * mvn -q -pl weights-converter test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/cp.txt
 * cd weights-converter &amp;&amp; mkdir -p target/corpus &amp;&amp; java -Xmx512m --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *   com.code_intelligence.jazzer.Jazzer --target_class=dev.clipengine.weights.torch.TorchZipFuzzTest \
 *   --instrumentation_includes='dev.clipengine.**' -max_total_time=600 -rss_limit_mb=1536 -timeout=5 \
 *   target/corpus src/test/resources/dev/clipengine/weights/torch/TorchZipFuzzTestInputs/open
 * </pre>
 * (the same with {@code UnpicklerFuzzTest} / {@code dev.clipengine.weights.SafetensorsFuzzTest} and
 * their input folders). Measured here, 60 s each on a loaded 2-core machine, no finding:
 * unpickler 243,616 executions, torch zip 19,246, safetensors 23,730.
 */
class TorchZipFuzzTest {

    private static final Path FILE = tempFile();
    static final TorchLimits LIMITS = TorchLimits.DEFAULT.withMaxInflatedBytes(16 << 20).withMaxPickleBytes(16 << 20);

    private static Path tempFile() {
        try {
            Path f = Files.createTempFile("fuzz-", ".pt");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void fuzzerTestOneInput(byte[] data) throws IOException {
        parse(data);
        FuzzLimits.check();
    }

    private static void parse(byte[] data) throws IOException {
        Files.write(FILE, data);
        try (TorchFile f = TorchFile.open(FILE, LIMITS)) {
            for (Tensor t : f.tensors().values()) {
                long n = t.data().byteSize();
                if (n > 0) t.data().get(ValueLayout.JAVA_BYTE, n - 1);
            }
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
