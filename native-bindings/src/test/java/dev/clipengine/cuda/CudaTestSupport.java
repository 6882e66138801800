package dev.clipengine.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Locating a CUDA toolkit and gcc for the tests that compile against the headers. */
final class CudaTestSupport {

    private CudaTestSupport() {
    }

    /** A toolkit include directory with cuda.h: $CUDA_HOME, /usr/local/cuda, then /usr/local/cuda-*, newest name. */
    static Path cudaInclude() {
        List<Path> candidates = new ArrayList<>();
        String home = System.getenv("CUDA_HOME");
        if (home != null) candidates.add(Path.of(home));
        candidates.add(Path.of("/usr/local/cuda"));
        try (var s = Files.list(Path.of("/usr/local"))) {
            s.filter(p -> p.getFileName().toString().startsWith("cuda-")).sorted((a, b) -> b.compareTo(a))
                    .forEach(candidates::add);
        } catch (IOException ignored) {
            // no /usr/local: no toolkit
        }
        for (Path c : candidates) {
            if (Files.isRegularFile(c.resolve("include/cuda.h"))) return c.resolve("include");
        }
        return null;
    }

    static boolean hasTool(String tool) {
        try {
            Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs a command, returns stdout; fails with its output when the exit code is not 0. */
    static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }

    /** The module's source root (tests run with the module as working directory under Maven). */
    static Path moduleDir() {
        Path here = Path.of("").toAbsolutePath();
        if (Files.isDirectory(here.resolve("src/test/c"))) return here;
        return here.resolve("native-bindings");
    }
}
