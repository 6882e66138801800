package dev.clipengine.weights;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a fresh JVM (this test's class path, {@code -Xmx512m}) and reports what a user
 * would see and what it cost: exit code, stdout, stderr, wall time and peak resident set (sampled from
 * {@code /proc/<pid>/status}'s high-water mark until the process exits; 0 where there is no /proc).
 */
public final class ChildJvm {

    public record Run(int code, String out, String err, long millis, long peakRssMb) {
        public List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }

    /** The acceptance bound of issue 16: a hostile input costs under 5 s and 512 MB of heap and RSS. */
    public static final long MAX_MILLIS = 5000, MAX_RSS_MB = 512;

    private ChildJvm() {
    }

    public static Run run(Path workDir, String mainClass, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(workDir, "out", ".txt"), err = Files.createTempFile(workDir, "err", ".txt");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        Path status = Path.of("/proc", String.valueOf(p.pid()), "status");
        long peakKb = 0;
        while (!p.waitFor(10, TimeUnit.MILLISECONDS)) {
            peakKb = Math.max(peakKb, hwmKb(status));
            if (System.nanoTime() - t0 > 60_000_000_000L) {
                p.destroyForcibly();
                break;
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        return new Run(p.waitFor(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8),
                ms, peakKb >> 10);
    }

    private static long hwmKb(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException e) {
            // exited between polls, or no /proc
        }
        return 0;
    }
}
