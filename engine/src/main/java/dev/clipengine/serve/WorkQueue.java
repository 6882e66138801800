package dev.clipengine.serve;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded queue in front of the model. At most {@code workers} segmentations run at once on platform threads
 * (the engine already spreads one image over every core, so more would only share them), and at most
 * {@code capacity} more wait; a request past that is refused at once (503 with {@code Retry-After}) instead of
 * piling up memory. A request is admitted before its body is read, so a refused upload costs nothing.
 *
 * <p>A request that waits or runs past its deadline gets a timeout; one still waiting is dropped, one already
 * running cannot be interrupted (the kernels do not poll for it), so it finishes in the background and keeps its
 * slot until then: the limit on concurrent work stays true.
 */
final class WorkQueue implements AutoCloseable {

    /** An admitted request's slot; {@link #release} it if the request ends before {@link #submit}. */
    final class Ticket {
        private final AtomicBoolean held = new AtomicBoolean(true);
        private volatile boolean handedOver;

        /** Frees the slot, unless {@link #submit} handed it to work that is still waiting or running. */
        void release() {
            if (!handedOver) free();
        }

        private void free() {
            if (held.compareAndSet(true, false)) slots.release();
        }
    }

    private final ExecutorService workers;
    private final Semaphore slots;
    private final int capacity;
    private final AtomicInteger running = new AtomicInteger();

    WorkQueue(int workers, int waiting) {
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(workers, r -> Thread.ofPlatform().name("serve-worker-" + n.incrementAndGet()).daemon().unstarted(r));
        this.capacity = workers + waiting;
        this.slots = new Semaphore(capacity);
    }

    /** A slot, or a 503 when {@code capacity} requests are already waiting or running. */
    Ticket admit() {
        if (!slots.tryAcquire()) {
            throw new HttpError(503, "busy: " + capacity + " requests are already running or queued; retry later", 1);
        }
        return new Ticket();
    }

    /** Requests admitted and not yet running. */
    int queued() {
        return Math.max(0, capacity - slots.availablePermits() - running.get());
    }

    int running() {
        return running.get();
    }

    /**
     * Runs {@code work} on a worker and waits for it until {@code deadlineNanos} ({@link System#nanoTime} scale).
     * The ticket is released when the work ends, or at once if the work never started.
     *
     * @throws HttpError 504 past the deadline
     */
    <T> T submit(Ticket ticket, Callable<T> work, long deadlineNanos, String timeoutMessage) throws Exception {
        AtomicBoolean claimed = new AtomicBoolean();
        CompletableFuture<T> result = new CompletableFuture<>();
        workers.execute(() -> {
            if (!claimed.compareAndSet(false, true)) return;   // the waiter gave up before it started
            running.incrementAndGet();
            try {
                result.complete(work.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            } finally {
                running.decrementAndGet();
                ticket.free();
            }
        });
        ticket.handedOver = true;
        try {
            return result.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (claimed.compareAndSet(false, true)) ticket.free();   // never started: it never will
            throw new HttpError(504, timeoutMessage);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) throw error;
            throw e.getCause() instanceof Exception x ? x : new RuntimeException(e.getCause());
        }
    }

    /** Lets the running and queued work finish (up to {@code seconds}), then stops the workers. */
    boolean drain(long seconds) throws InterruptedException {
        workers.shutdown();
        return workers.awaitTermination(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
