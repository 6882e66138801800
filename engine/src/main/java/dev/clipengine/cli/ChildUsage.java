package dev.clipengine.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What one child process tree cost, measured as {@code /usr/bin/time} does: wall time from start to exit, CPU time
 * (user + system) of the child and every descendant it waited for, from {@code getrusage(RUSAGE_CHILDREN)} before and
 * after, and the peak resident set of the largest process in the tree. The JDK has no call for a reaped child's
 * rusage, so the CPU figure is read through the FFM API (Linux, LP64 layout); elsewhere it is -1. The peak
 * RSS is each process's own high-water mark ({@code VmHWM} in {@code /proc/PID/status}), sampled every
 * {@value #SAMPLE_MILLIS} ms while the tree runs: a high-water mark only grows, so a sample misses at most what
 * the process added in its last few milliseconds; -1 without /proc.
 */
final class ChildUsage {

    static final long SAMPLE_MILLIS = 20;

    /** One finished run. */
    record Run(int exitCode, double wallSeconds, double cpuSeconds, long peakRssMb) {
    }

    private ChildUsage() {
    }

    /** Starts {@code pb}, waits for it, and returns its exit code and cost. */
    static Run measure(ProcessBuilder pb) throws IOException, InterruptedException {
        long cpu0 = childrenCpuNanos();
        long t0 = System.nanoTime();
        Process p = pb.start();
        Map<Long, Long> peakKb = new HashMap<>();
        while (!p.waitFor(SAMPLE_MILLIS, TimeUnit.MILLISECONDS)) {
            sample(p.toHandle(), peakKb);
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        long cpu1 = childrenCpuNanos();
        double cpu = cpu0 < 0 || cpu1 < 0 ? -1 : (cpu1 - cpu0) / 1e9;
        long peak = peakKb.isEmpty() ? -1 : peakKb.values().stream().mapToLong(Long::longValue).max().orElse(-1) >> 10;
        return new Run(p.exitValue(), wall, cpu, peak);
    }

    private static void sample(ProcessHandle root, Map<Long, Long> peakKb) {
        List<ProcessHandle> tree = Stream.concat(Stream.of(root), root.descendants()).toList();
        for (ProcessHandle h : tree) {
            long kb = highWaterKb(h.pid());
            if (kb > 0) peakKb.merge(h.pid(), kb, Math::max);
        }
    }

    /** VmHWM of a live process in KiB, or -1. */
    static long highWaterKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException e) {
            return -1; // gone between listing and reading, or no /proc
        }
        return -1;
    }

    private static final MethodHandle GETRUSAGE = lookupGetrusage();
    private static final int RUSAGE_CHILDREN = -1;
    /** struct rusage: two struct timeval (long seconds, long microseconds), then 14 longs; 144 bytes on LP64. */
    private static final long RUSAGE_BYTES = 144;

    private static MethodHandle lookupGetrusage() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("getrusage").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access (a JVM started without --enable-native-access refuses it): CPU unknown
        }
    }

    /** User + system CPU nanoseconds of all reaped descendants of this process, or -1 where unknown. */
    static long childrenCpuNanos() {
        if (GETRUSAGE == null || ValueLayout.ADDRESS.byteSize() != 8
                || !System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return -1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ru = arena.allocate(RUSAGE_BYTES, 8);
            int rc = (int) GETRUSAGE.invokeExact(RUSAGE_CHILDREN, ru);
            if (rc != 0) return -1;
            long us = 0;
            for (int t = 0; t < 2; t++) {
                us += ru.get(ValueLayout.JAVA_LONG, t * 16L) * 1_000_000L + ru.get(ValueLayout.JAVA_LONG, t * 16L + 8);
            }
            return us * 1000;
        } catch (Throwable e) {
            return -1;
        }
    }
}
