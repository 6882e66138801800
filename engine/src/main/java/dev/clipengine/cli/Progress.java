package dev.clipengine.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Says on stderr what a long step is doing, so that a run that takes half a minute (a ViT-B/16 model
 * load, 80 templates × the classes through the text tower, a large image through the network) is not
 * silent. A step still running after {@link #DEFAULT_AFTER_MS} ms is announced then, and its end is said
 * with its duration; a shorter step prints nothing, so fast runs (tiny models, tests) stay quiet.
 * Off a terminal (a log, a pipe) each announcement and each end is a whole line; on a terminal the end
 * completes the announcement's line. {@code -Dclipengine.progress.after.ms=0} announces every step.
 */
final class Progress {

    /** Steps shorter than this (a second) pass unannounced. */
    static final long DEFAULT_AFTER_MS = 1000;
    static final String AFTER_PROPERTY = "clipengine.progress.after.ms";

    /** A step's work, which may throw what the caller handles. */
    @FunctionalInterface
    interface Work<T, E extends Exception> {
        T run() throws E;
    }

    private final PrintWriter err;
    private final String prefix;
    private final long afterMs;
    private final boolean terminal;

    /** @param prefix the command's name, starting every line ("segment") */
    Progress(PrintWriter err, String prefix) {
        this(err, prefix, Long.getLong(AFTER_PROPERTY, DEFAULT_AFTER_MS), stderrIsTerminal());
    }

    Progress(PrintWriter err, String prefix, long afterMs, boolean terminal) {
        this.err = err;
        this.prefix = prefix;
        this.afterMs = afterMs;
        this.terminal = terminal;
    }

    /**
     * Whether the user watches: a console that is a terminal. Java sees the terminal through standard input
     * and output, not error, so {@code 2>log} on a terminal still counts as one (the lines then end in
     * a redrawn line, which a log shows as one line per step anyway).
     */
    static boolean stderrIsTerminal() {
        return System.console() != null && System.console().isTerminal();
    }

    /** Runs {@code work}, announcing it as {@code what} ("loading the model b16.safetensors") if it lasts. */
    <T, E extends Exception> T step(String what, Work<T, E> work) throws E {
        long start = System.nanoTime();
        Object lock = this;
        boolean[] announced = {false}, finished = {false};
        Runnable announce = () -> {
            synchronized (lock) {
                if (finished[0]) return;
                announced[0] = true;
                if (terminal) err.print(prefix + ": " + what + " … ");
                else err.println(prefix + ": " + what + " …");
                err.flush();
            }
        };
        // "after 0 ms" means every step, however short: said here, not raced against the step on the timer thread
        if (afterMs <= 0) announce.run();
        ScheduledFuture<?> timer = afterMs <= 0 ? null : TIMER.schedule(announce, afterMs, TimeUnit.MILLISECONDS);
        boolean ok = false;
        try {
            T result = work.run();
            ok = true;
            return result;
        } finally {
            if (timer != null) timer.cancel(false);
            synchronized (lock) {
                finished[0] = true;
                if (announced[0]) {
                    String took = String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9);
                    if (terminal) err.println(ok ? took : "failed after " + took);
                    else err.println(prefix + ": " + what + (ok ? ": done in " : ": failed after ") + took);
                    err.flush();
                }
            }
        }
    }

    /** One daemon thread for every announcement: it never keeps the JVM alive. */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "clip-engine progress");
        t.setDaemon(true);
        return t;
    });
}
