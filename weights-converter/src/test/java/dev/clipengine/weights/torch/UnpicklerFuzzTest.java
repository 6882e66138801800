package dev.clipengine.weights.torch;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz target: the restricted unpickler with the torch whitelist on arbitrary bytes, under small
 * limits so that the limits themselves are exercised. Only a {@link PickleException} is an
 * acceptable failure. Seeds: the fixtures' {@code data.pkl} (torch.save and TorchScript) and
 * {@code constants.pkl}. See {@link TorchZipFuzzTest} for how to run it longer.
 */
class UnpicklerFuzzTest {

    static final TorchLimits LIMITS = TorchLimits.DEFAULT.withStackAndMemo(10_000, 10_000, 100);

    public static void fuzzerTestOneInput(byte[] data) {
        try {
            Unpickler.load(data, new TorchGlobals(LIMITS), LIMITS);
        } catch (PickleException expected) {
            // refused with a message: fine
        }
    }

    @FuzzTest(maxDuration = "3s")
    void unpickle(byte[] data) {
        fuzzerTestOneInput(data);
    }
}
