package dev.clipengine.device;

import dev.clipengine.cuda.CudaProbe;
import dev.clipengine.cuda.CudaUnavailableException;
import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.Backends;
import dev.clipengine.kernels.cuda.Precision;

import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Resolves {@code --device auto|cpu|cuda[:N]} to the backend the network runs on ({@link #select}, with one log line
 * saying which and why) and opens it ({@link #open}). The one place outside the kernels module that decides between
 * the CPU and CUDA; everything after works on {@link Backend}.
 *
 * <ul>
 *   <li>{@code cpu}: the CPU.</li>
 *   <li>{@code cuda[:N]}: device N when the probe passes (driver, runtime, cuBLAS, compute capability), else an
 *       error of one line saying why.</li>
 *   <li>{@code auto} (the default): CUDA device 0 when the probe passes and {@link #AUTO_PICKS_CUDA}, else the CPU,
 *       silently unless {@code --device auto} was given explicitly.</li>
 * </ul>
 *
 * <p><b>State (honest):</b> the model runs on {@code Backend}, so {@code --device cuda} runs the whole forward and the
 * DBSCAN on the GPU, but the CUDA backend has <b>never been executed on a GPU</b> (see
 * {@code native-bindings/GPU-TODO.md}). Until its device check has passed, {@code auto} stays on the CPU even where a
 * GPU is found ({@link #AUTO_PICKS_CUDA} is false), and says so when asked with an explicit {@code --device auto}.
 */
public final class BackendSelector {

    /**
     * Whether {@code auto} takes a usable GPU. Set it to true once the CUDA backend has passed the device check of
     * GPU-TODO.md (and then allow for the line {@code auto} prints when it picks CUDA in the command-line tests that
     * expect exactly one stderr line on bad input).
     */
    static final boolean AUTO_PICKS_CUDA = false;

    private BackendSelector() {
    }

    /** What was asked for. {@code ordinal} is -1 for cpu, the device number for cuda, 0 for auto. */
    public record Spec(String kind, int ordinal, boolean explicit) {
    }

    /** The decision: {@code device} is "cpu" or "cuda:N"; {@code logLine} null when nothing is to be said. */
    public record Selection(String device, String logLine) {

        public boolean cuda() {
            return device.startsWith("cuda:");
        }
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
        return select(parse(optionValue), BackendSelector::probe);
    }

    private static Probe probe(int ordinal) {
        CudaProbe.Report r = Backends.probeCuda(ordinal);
        return new Probe(r.usable(), r.line());
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
        return select(spec, prober, AUTO_PICKS_CUDA);
    }

    static Selection select(Spec spec, IntFunction<Probe> prober, boolean autoPicksCuda) {
        switch (spec.kind()) {
            case "cpu":
                return new Selection("cpu", "device: cpu (requested with --device cpu)");
            case "cuda": {
                Probe p = prober.apply(spec.ordinal());
                String dev = "cuda:" + spec.ordinal();
                if (!p.usable()) throw new IllegalArgumentException("--device " + dev + ": " + p.line());
                return new Selection(dev, "device: " + p.line());
            }
            default: {   // auto
                Probe p = prober.apply(0);
                if (p.usable() && autoPicksCuda) return new Selection("cuda:0", "device: " + p.line());
                if (p.usable()) {
                    return new Selection("cpu", spec.explicit() ? "device: cpu (" + p.line() + " found, but auto"
                            + " stays on the CPU until the CUDA backend has been validated on a GPU; --device cuda uses it)"
                            : null);
                }
                return new Selection("cpu", spec.explicit() ? "device: cpu (" + p.line() + ")" : null);
            }
        }
    }

    /** System property naming the backend of models loaded without one ({@link #processDefault()}). */
    public static final String DEFAULT_DEVICE_PROPERTY = "clipengine.device";

    private static volatile Backend processDefault;

    /**
     * The backend of models loaded without one ({@code ClipModel.Options.defaults()}): the CPU, unless
     * {@code -Dclipengine.device=cpu|cuda[:N]} names another. Meant for running the test suites and benchmarks on a GPU
     * unchanged ({@code mvn test -Dclipengine.device=cuda}); a CUDA device named there is opened once and kept for
     * the life of the process (closing it is left to the process exit).
     *
     * @throws IllegalArgumentException when the property names an unusable device or is malformed
     */
    public static Backend processDefault() {
        String value = System.getProperty(DEFAULT_DEVICE_PROPERTY);
        if (value == null || value.isBlank() || value.trim().equalsIgnoreCase("cpu")) return Backends.cpu();
        Backend b = processDefault;
        if (b == null) {
            synchronized (BackendSelector.class) {
                b = processDefault;
                if (b == null) {
                    b = open(value);
                    processDefault = b;
                }
            }
        }
        return b;
    }

    /** Selects (quietly) and opens the device an option or property value names. */
    static Backend open(String value) {
        if (value == null || value.isBlank()) return Backends.cpu();
        return open(select(parse(value), BackendSelector::probe));
    }

    /**
     * Opens the selected backend: the process-wide CPU backend (closing it is a no-op), or the CUDA device in FP32
     * (the caller closes it after the models that use it).
     *
     * @throws IllegalArgumentException in one line when the device cannot be opened after all
     */
    public static Backend open(Selection selection) {
        if (!selection.cuda()) return Backends.cpu();
        int ordinal = Integer.parseInt(selection.device().substring("cuda:".length()));
        try {
            return Backends.cuda(ordinal, Precision.FP32);
        } catch (CudaUnavailableException e) {
            throw new IllegalArgumentException("--device " + selection.device() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {   // a CUDA call failed while opening the device: still one line
            throw new IllegalStateException("--device " + selection.device() + ": opening the device failed: "
                    + e.getMessage(), e);
        }
    }
}
