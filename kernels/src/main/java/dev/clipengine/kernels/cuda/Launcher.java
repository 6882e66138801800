package dev.clipengine.kernels.cuda;

/**
 * Where {@link Kernels} sends a launch: {@code cuLaunchKernel} on a stream in {@link CudaBackend}, a recorder in the
 * tests (which checks every launch against the PTX signatures without a GPU).
 */
public interface Launcher {

    /** Grid or block dimensions. */
    record Dim3(int x, int y, int z) {
        public Dim3 {
            if (x <= 0 || y <= 0 || z <= 0) throw new IllegalArgumentException("launch dimensions must be positive: " + x + "x" + y + "x" + z);
        }

        public static Dim3 of(int x) {
            return new Dim3(x, 1, 1);
        }

        public static Dim3 of(int x, int y) {
            return new Dim3(x, y, 1);
        }
    }

    void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args);
}
