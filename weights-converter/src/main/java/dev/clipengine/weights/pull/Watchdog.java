package dev.clipengine.weights.pull;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Gives up on a body that stops coming. Every {@code window} it checks that at least {@code minBytes}
 * more arrived; if not, it interrupts the reading thread (the HTTP client's body stream wakes a blocked
 * read with an exception when its thread is interrupted). A per-read timeout would not do: a server
 * sending one byte every few seconds never lets a read time out, and would hold us forever.
 */
final class Watchdog implements AutoCloseable {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "download-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Thread reader = Thread.currentThread();
    private final long minBytes;
    private final ScheduledFuture<?> task;
    private volatile long bytes;
    private long seen;
    private volatile boolean fired;
    private boolean done;

    /** Watches the current thread's reading, which starts with {@code startBytes} already received. */
    Watchdog(Duration window, long minBytes, long startBytes) {
        this.minBytes = minBytes;
        this.bytes = startBytes;
        this.seen = startBytes;
        long ms = Math.max(1, window.toMillis());
        this.task = TIMER.scheduleAtFixedRate(this::check, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** The total received so far. */
    void progress(long total) {
        bytes = total;
    }

    boolean fired() {
        return fired;
    }

    private synchronized void check() {
        if (done) return;
        long now = bytes;
        if (now - seen < minBytes && !fired) {
            fired = true;
            reader.interrupt();
        }
        seen = now;
    }

    @Override
    public void close() {
        task.cancel(false);
        synchronized (this) {
            done = true;
            if (fired) Thread.interrupted(); // the interrupt was ours: do not leak it to the caller
        }
    }
}
