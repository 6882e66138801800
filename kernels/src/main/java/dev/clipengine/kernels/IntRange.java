package dev.clipengine.kernels;

/**
 * Body of {@link CpuBackend#parallelFor}: processes the half-open index range {@code [from, to)}.
 * A primitive interface (rather than {@code BiConsumer<Integer,Integer>}) so hot loops do not box.
 */
@FunctionalInterface
public interface IntRange {
    void run(int from, int to);
}
