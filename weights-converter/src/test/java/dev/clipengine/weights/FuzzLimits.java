package dev.clipengine.weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The per-input memory limit of the fuzz targets. Jazzer's JUnit mode turns libFuzzer's RSS limit off
 * ({@code -rss_limit_mb=0}), so each target calls {@link #check()} after every input: the process's peak
 * resident set ({@code VmHWM}) must stay under {@value #RSS_LIMIT_MB} MB, so the first input that makes
 * the parser allocate far beyond its file (on or off the heap) is a finding. The heap itself is capped
 * by the fuzz execution's {@code -Xmx512m} (pom) and the time per input by {@code @Timeout} (Jazzer
 * turns it into libFuzzer's {@code -timeout}). A standalone run passes {@code -rss_limit_mb} and
 * {@code -timeout} itself (see {@code TorchZipFuzzTest}).
 */
public final class FuzzLimits {

    /** JVM, Jazzer and the fuzzer's corpus take a few hundred MB before any input is parsed. */
    public static final long RSS_LIMIT_MB = 1536;
    /** Seconds per input (the hostile seeds finish in milliseconds). */
    public static final int SECONDS_PER_INPUT = 5;

    private FuzzLimits() {
    }

    /** Throws when the process's peak RSS has passed the limit (Linux; elsewhere a no-op). */
    public static void check() {
        long kb = peakRssKb();
        if (kb > RSS_LIMIT_MB << 10) {
            throw new IllegalStateException("peak RSS " + (kb >> 10) + " MB passed the fuzzing limit of " + RSS_LIMIT_MB + " MB");
        }
    }

    static long peakRssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no limit from here
        }
        return 0;
    }
}
