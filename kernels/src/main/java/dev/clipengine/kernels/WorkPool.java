package dev.clipengine.kernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool that runs chunked loops with the caller participating.
 *
 * <p>Deadlock freedom without work stealing: chunks are <em>claimed</em> from a shared counter by whoever gets there
 * first (the caller or a helper task on a pool thread). The caller keeps claiming until none are left, so it only
 * ever waits for chunks that some thread is already executing. A helper task that is still queued when the loop
 * finishes finds nothing to claim and returns at once. This makes nested calls (a parallelFor body calling a GEMM)
 * and many concurrent callers safe: progress never depends on a pool thread being free.
 */
final class WorkPool implements AutoCloseable {

    private static final AtomicInteger POOL_IDS = new AtomicInteger();

    private final int threads;
    /** threads - 1 workers: the calling thread is the remaining one. Null when threads == 1. */
    private final ExecutorService executor;

    WorkPool(int threads, boolean daemon) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        if (threads == 1) {
            executor = null;
        } else {
            int poolId = POOL_IDS.incrementAndGet();
            AtomicInteger threadIds = new AtomicInteger();
            ThreadFactory factory = r -> {
                Thread t = new Thread(r, "clip-kernels-" + poolId + "-" + threadIds.incrementAndGet());
                t.setDaemon(daemon);
                return t;
            };
            executor = Executors.newFixedThreadPool(threads - 1, factory);
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code chunks} contiguous, nearly equal pieces of {@code [0, n)}, in parallel, and returns
     * when all are done. The first exception thrown by a chunk is rethrown to the caller (remaining chunks still run).
     */
    void run(int n, int chunks, IntRange body) {
        if (n <= 0) {
            return;
        }
        chunks = Math.max(1, Math.min(chunks, n));
        if (chunks == 1 || executor == null) {
            body.run(0, n);
            return;
        }
        Loop loop = new Loop(n, chunks, body, Thread.currentThread());
        int helpers = Math.min(chunks, threads) - 1;
        for (int i = 0; i < helpers; i++) {
            try {
                executor.execute(loop::drain);
            } catch (RejectedExecutionException closed) {
                break; // pool closed: the caller simply does all the work
            }
        }
        loop.drain();
        loop.awaitCompletion();
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdown();
        }
    }

    /** Shared state of one parallel loop. */
    private static final class Loop {
        private final int n;
        private final int chunks;
        private final IntRange body;
        private final Thread caller;
        private final AtomicInteger nextChunk = new AtomicInteger();
        private final AtomicInteger finishedChunks = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Loop(int n, int chunks, IntRange body, Thread caller) {
            this.n = n;
            this.chunks = chunks;
            this.body = body;
            this.caller = caller;
        }

        /** Claims and runs chunks until none are left. */
        void drain() {
            int c;
            while ((c = nextChunk.getAndIncrement()) < chunks) {
                int from = (int) ((long) n * c / chunks);
                int to = (int) ((long) n * (c + 1) / chunks);
                try {
                    body.run(from, to);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (finishedChunks.incrementAndGet() == chunks) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }

        /** Waits for chunks claimed by pool threads; short (they are running, not queued). */
        void awaitCompletion() {
            while (finishedChunks.get() < chunks) {
                LockSupport.park(this);
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new RuntimeException(t);
            }
        }
    }
}
