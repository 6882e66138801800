package dev.clipengine.bench;

import dev.clipengine.segmentation.ClusterVoting;
import dev.clipengine.segmentation.ClusterVotingBaseline;
import dev.clipengine.segmentation.LabelTarget;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * CLIPtrase's post-processing of a 12-megapixel photo (4000×3000, the {@code full} protocol's 21×28 patch grid at
 * 336) with 21 classes and 6 DBSCAN clusters: before issue 18 ({@link ClusterVotingBaseline}: whole-image
 * up-sampled logits and prototype maps) and after ({@link ClusterVoting#stream}: rows, straight into the label
 * image, what {@code segment} runs). Both in one class, so one run gives the ratio:
 *
 * <pre>
 *   java -jar jmh/target/benchmarks.jar PostprocessBenchmark -prof gc
 * </pre>
 *
 * {@code -prof gc}'s {@code gc.alloc.rate.norm} is the heap each variant allocates per image. Peak resident memory
 * of one image in a fresh JVM (the JVM's own ~40 MB included), one variant per process:
 *
 * <pre>
 *   java -Xmx4g -cp jmh/target/benchmarks.jar dev.clipengine.bench.PostprocessBenchmark baseline
 *   java -Xmx4g -cp jmh/target/benchmarks.jar dev.clipengine.bench.PostprocessBenchmark streamed
 * </pre>
 *
 * each prints its time and {@code VmHWM} (Linux's peak RSS; {@code /usr/bin/time -v} says the same).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.ADD_VECTOR, Jvm.NATIVE, "-Xmx4g"})
public class PostprocessBenchmark {

    static final int WIDTH = 4000, HEIGHT = 3000, GH = 21, GW = 28, CLASSES = 21, CLUSTERS = 6;

    float[] logits, m;
    int[] labels;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(12);
        int n = GH * GW;
        logits = new float[CLASSES * n];
        // smooth class fields (a few blobs), as real patch logits are, so regions and boundaries both occur
        for (int c = 0; c < CLASSES; c++) {
            double cy = rnd.nextDouble() * GH, cx = rnd.nextDouble() * GW, s = 2 + 6 * rnd.nextDouble();
            for (int p = 0; p < n; p++) {
                double dy = p / GW - cy, dx = p % GW - cx;
                logits[c * n + p] = (float) (20 + 8 * Math.exp(-(dy * dy + dx * dx) / (2 * s * s)) + 0.5 * rnd.nextGaussian());
            }
        }
        labels = new int[n];
        m = new float[n * n];
        for (int i = 0; i < n; i++) {
            int r = i / GW, col = i % GW;
            labels[i] = rnd.nextInt(12) == 0 ? -1 : (r * 2 / GH) * 3 + col * 3 / GW;   // 6 regions, some noise
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                boolean same = labels[i] >= 0 && labels[i] == labels[j];
                m[i * n + j] = (float) Math.max(0, (same ? 0.6 : 0.1) + 0.1 * rnd.nextGaussian());
            }
        }
    }

    /** Before: the whole-image arrays (and every intermediate map, as the old API always returned). */
    @Benchmark
    public int[] baseline() {
        return ClusterVotingBaseline.run(logits, CLASSES, GH, GW, null, CLASSES, false, m, labels, HEIGHT, WIDTH).pred();
    }

    /** After: streamed by rows into the label image, labels only (the {@code full} protocol's path). */
    @Benchmark
    public int[] streamed() {
        LabelTarget t = LabelTarget.whole(WIDTH, HEIGHT);
        ClusterVoting.stream(new ClusterVoting.Scores(logits, CLASSES, GH, GW, null, CLASSES, false), m, labels, HEIGHT, WIDTH, t, null);
        return t.labels();
    }

    /** One image with one variant in this JVM, then its time and peak RSS (see the class comment). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1 || !(args[0].equals("baseline") || args[0].equals("streamed"))) {
            System.err.println("usage: PostprocessBenchmark baseline|streamed");
            System.exit(2);
        }
        PostprocessBenchmark b = new PostprocessBenchmark();
        b.setUp();
        long t0 = System.nanoTime();
        int[] out = args[0].equals("baseline") ? b.baseline() : b.streamed();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String hwm = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM")).findFirst()
                .orElse("VmHWM: unknown (not Linux)");
        System.out.printf("%s: %d ms for %dx%d, %d classes (label 0 at pixel 0: %d); %s%n", args[0], ms, WIDTH, HEIGHT, CLASSES,
                out[0], hwm.replaceAll("\\s+", " "));
    }
}
