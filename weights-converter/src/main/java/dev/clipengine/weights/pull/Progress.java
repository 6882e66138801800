package dev.clipengine.weights.pull;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Download progress on standard error. On a terminal: one bar redrawn in place
 * ({@code ViT-B-16.pt [=======>      ] 52% 176.0/335.0 MiB 41.2 MiB/s}); elsewhere (a log, a
 * pipe, a test): a plain line at every tenth, so logs stay readable.
 */
public final class Progress implements AutoCloseable {

    /** Starts a bar for one file. */
    public interface Factory {
        Progress start(String label, long from, long total);
    }

    /** Bars on {@code err}; {@code terminal} draws in place. */
    public static Factory to(PrintWriter err, boolean terminal) {
        return (label, from, total) -> new Progress(err, terminal, label, from, total);
    }

    /** No output. */
    public static final Factory NONE = (label, from, total) -> new Progress(null, false, label, from, total);

    private final PrintWriter err;
    private final boolean terminal;
    private final String label;
    private final long from;
    private final long total;
    private final long startNanos = System.nanoTime();
    private long lastDraw;
    private int lastTenth = -1;
    private long done;

    private Progress(PrintWriter err, boolean terminal, String label, long from, long total) {
        this.err = err;
        this.terminal = terminal;
        this.label = label;
        this.from = from;
        this.total = total;
        this.done = from;
        if (err != null && from > 0) {
            err.println(label + ": resuming after " + mib(from) + " MiB");
            err.flush();
        }
    }

    public void update(long bytes) {
        done = bytes;
        if (err == null) return;
        if (terminal) {
            long now = System.nanoTime();
            if (now - lastDraw < 100_000_000L) return;
            lastDraw = now;
            err.print("\r" + line());
            err.flush();
        } else if (total > 0) {
            int tenth = (int) (10 * bytes / total);
            if (tenth > lastTenth && tenth < 10) {
                lastTenth = tenth;
                err.println(line());
                err.flush();
            }
        }
    }

    String line() {
        double secs = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        String rate = String.format(Locale.ROOT, "%.1f MiB/s", (done - from) / secs / (1 << 20));
        if (total <= 0) return label + " " + mib(done) + " MiB " + rate;
        int pct = (int) (100 * done / total);
        int width = 30, fill = (int) ((long) width * done / total);
        String bar = "=".repeat(fill) + (fill < width ? ">" + " ".repeat(width - fill - 1) : "");
        return String.format(Locale.ROOT, "%s [%s] %3d%% %s/%s MiB %s", label, bar, pct, mib(done), mib(total), rate);
    }

    private static String mib(long b) {
        return String.format(Locale.ROOT, "%.1f", b / (double) (1 << 20));
    }

    @Override
    public void close() {
        if (err == null) return;
        if (terminal) err.print("\r" + line() + "\n");
        else err.println(line());
        err.flush();
    }
}
