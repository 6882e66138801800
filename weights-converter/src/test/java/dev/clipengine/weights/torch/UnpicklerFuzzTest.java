package dev.clipengine.weights.torch;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.clipengine.weights.FuzzLimits;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target: the restricted unpickler with the torch whitelist on arbitrary bytes, under small
 * limits so that the limits themselves are exercised. Only a {@link PickleException} is an
 * acceptable failure. Seeds: the fixtures' {@code data.pkl} (torch.save and TorchScript) and
 * {@code constants.pkl}. See {@link TorchZipFuzzTest} for how to run it longer.
 */
class UnpicklerFuzzTest {

    static final TorchLimits LIMITS = TorchLimits.DEFAULT.withStackAndMemo(10_000, 10_000, 100);

    public static void fuzzerTestOneInput(byte[] data) {
        parse(data);
        FuzzLimits.check();
    }

    private static void parse(byte[] data) {
        try {
            Unpickler.load(data, new TorchGlobals(LIMITS), LIMITS);
        } catch (PickleException expected) {
            // refused with a message: fine
        }
    }

    @FuzzTest(maxDuration = "3s")
    @Timeout(FuzzLimits.SECONDS_PER_INPUT)
    void unpickle(byte[] data) {
        fuzzerTestOneInput(data);
    }
}
