package dev.clipengine.device;

import dev.clipengine.cuda.CudaProbe;
import dev.clipengine.kernels.cuda.CudaBackend;

import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Resolves {@code --device auto|cpu|cuda[:N]} to the backend the network runs on, with one log line saying which and
 * why.
 *
 * <p><b>Current state (honest):</b> the CUDA backend ({@code dev.clipengine.kernels.cuda.CudaBackend}) exists but has
 * never run on a GPU, and the engine's model classes still call {@code CpuBackend} directly (see
 * {@code dev.clipengine.kernels.Backend} for the migration). So today every selection ends on the CPU: {@code auto}
 * says in its log line when a usable GPU was found but not used, and an explicit {@code cuda} is refused with the
 * reason, instead of silently running on the CPU. Wiring the GPU forward is in {@code native-bindings/GPU-TODO.md}.
 *
 * <p>Quiet by default: with no {@code --device} option nothing is printed (the selection is always the CPU today, so
 * nothing changes for anyone); an explicit {@code --device} prints the line. Once the GPU forward is wired, the
 * default {@code auto} should print it whenever it picks a GPU (and the command-line tests that expect exactly one
 * stderr line on bad input must then allow for it).
 */
public final class BackendSelector {

    /** Set to true once the model classes run on {@code Backend} and the CUDA path has passed on a GPU. */
    static final boolean GPU_FORWARD_WIRED = false;

    private BackendSelector() {
    }

    /** What was asked for. {@code ordinal} is -1 for cpu, the device number for cuda, 0 for auto. */
    public record Spec(String kind, int ordinal, boolean explicit) {
    }

    /** The decision: today always the CPU (see the class comment); {@code logLine} null when nothing is to be said. */
    public record Selection(String device, String logLine) {
    }

    /** Parses the option value; null means the option was not given (auto, quiet). */
    public static Spec parse(String value) {
        if (value == null) return new Spec("auto", 0, false);
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("auto")) return new Spec("auto", 0, true);
        if (v.equals("cpu")) return new Spec("cpu", -1, true);
        if (v.equals("cuda")) return new Spec("cuda", 0, true);
        if (v.startsWith("cuda:")) {
            try {
                int n = Integer.parseInt(v.substring(5));
                if (n >= 0) return new Spec("cuda", n, true);
            } catch (NumberFormatException ignored) {
                // falls through to the message below
            }
        }
        throw new IllegalArgumentException("--device must be auto, cpu, cuda or cuda:N, got '" + value + "'");
    }

    /** Probes with the real CUDA libraries (never throws for a missing GPU; see {@link CudaProbe}). */
    public static Selection select(String optionValue) {
        return select(parse(optionValue), ordinal -> {
            CudaProbe.Report r = CudaProbe.probe(ordinal, CudaBackend.requirements());
            return new Probe(r.usable(), r.line());
        });
    }

    /** A probe outcome: usable or not, and its one-line description or reason. */
    public record Probe(boolean usable, String line) {
    }

    /**
     * The decision for {@code spec} given a prober (tests pass a fake one).
     *
     * @throws IllegalArgumentException when {@code cuda} was asked for and cannot be honoured (one line, exit 2)
     */
    public static Selection select(Spec spec, IntFunction<Probe> prober) {
        switch (spec.kind()) {
            case "cpu":
                return new Selection("cpu", "device: cpu (requested with --device cpu)");
            case "cuda": {
                Probe p = prober.apply(spec.ordinal());
                String dev = "cuda:" + spec.ordinal();
                if (!p.usable()) throw new IllegalArgumentException("--device " + dev + ": " + p.line());
                if (!GPU_FORWARD_WIRED) {
                    throw new IllegalArgumentException("--device " + dev + ": " + p.line()
                            + " is usable, but this build cannot run the network on CUDA yet (the CUDA backend has not"
                            + " been validated on a GPU; use --device cpu or auto)");
                }
                return new Selection(dev, "device: " + p.line());
            }
            default: {   // auto
                Probe p = prober.apply(0);
                if (p.usable()) {
                    // quiet unless asked: until the GPU forward is wired, nothing changes for anyone by default
                    return new Selection("cpu", spec.explicit() ? "device: cpu (" + p.line()
                            + " found, but the GPU forward is not enabled in this build yet)" : null);
                }
                return new Selection("cpu", spec.explicit() ? "device: cpu (" + p.line() + ")" : null);
            }
        }
    }
}
