package dev.clipengine.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The /usr/bin/time-like figures of a child process tree, against children whose cost is known. */
class ChildUsageTest {

    private static final boolean LINUX = System.getProperty("os.name", "").toLowerCase().contains("linux");

    @Test
    void peakRssSeesAHeapTheChildTouched() throws Exception {
        assumeTrue(LINUX, "needs /proc");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // AlwaysPreTouch writes every page of the 300 MiB initial heap at start: the child's RSS passes 300 MiB
        ChildUsage.Run r = ChildUsage.measure(new ProcessBuilder(java, "-Xms300m", "-Xmx300m", "-XX:+AlwaysPreTouch",
                "-XX:-UseCompressedOops", "-cp", System.getProperty("java.class.path"), Sleeper.class.getName()));
        assertEquals(0, r.exitCode());
        assertTrue(r.peakRssMb() >= 300 && r.peakRssMb() < 2000, "peak RSS " + r.peakRssMb());
        assertTrue(r.wallSeconds() >= 0.3, "the child sleeps 0.3 s: " + r.wallSeconds());
        assertTrue(r.cpuSeconds() > 0.02, "touching 300 MiB costs CPU: " + r.cpuSeconds());
    }

    @Test
    void cpuCountsGrandchildrenAndExcludesSleep() throws Exception {
        assumeTrue(LINUX && ChildUsage.childrenCpuNanos() >= 0, "getrusage through the FFM API");
        // a shell that waits for a busy grandchild, then sleeps: CPU ≈ the busy loop, wall ≈ loop + 0.5 s
        ChildUsage.Run r = ChildUsage.measure(new ProcessBuilder("/bin/sh", "-c",
                "sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'; sleep 0.5"));
        assertEquals(0, r.exitCode());
        assertTrue(r.cpuSeconds() > 0.05, "busy grandchild's CPU counted: " + r.cpuSeconds());
        assertTrue(r.wallSeconds() > r.cpuSeconds() + 0.4, "sleep is wall, not CPU: " + r);
    }

    @Test
    void warmTotalsSkipTheWarmupImages() {
        String lines = """
                {"timings_ms":{"text":900.0,"total":1000.0}}
                {"timings_ms":{"total":300.0}}
                {"timings_ms":{"total":200.0}}
                """;
        assertArrayEquals(new double[] {0.3, 0.2}, ColdBench.warmTotals(lines, 1, 2), 1e-12);
        assertEquals(0.25, ColdBench.median(ColdBench.warmTotals(lines, 1, 2)), 1e-12);
        assertThrows(IllegalStateException.class, () -> ColdBench.warmTotals(lines, 1, 3), "an image failed");
    }

    /** A child that sleeps a little and exits. */
    public static final class Sleeper {
        public static void main(String[] args) throws InterruptedException {
            Thread.sleep(300);
            System.out.println(List.of("done"));
        }
    }
}
