package dev.clipengine.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool that runs chunked loops with the caller participating.
 *
 * <p>Deadlock freedom without work stealing: chunks are <em>claimed</em> from a shared counter by whoever gets there
 * first (the caller or a pool thread). The caller keeps claiming until none are left, so it only ever waits for
 * chunks that some thread is already executing. This makes nested calls (a parallelFor body calling a GEMM) and many
 * concurrent callers safe: progress never depends on a pool thread being free. Pool threads help the loop published
 * last; a caller whose loop was displaced by another's simply does more of its own chunks.
 *
 * <p>Hand-off: a forward pass is about a hundred parallel loops separated by microseconds of serial work. A pool
 * thread that blocked on a queue between them was woken (a futex, and on a virtual machine an idle vCPU's wake-up)
 * late enough that, at ViT-B/16 336 px, it sat idle 8.6 % of the forward while the caller worked
 * (async-profiler, wall clock). So pool threads spin for {@link #SPIN_NANOS} on the published loop before parking,
 * and the caller spins as long before it parks for the last chunks (docs/performance.md "Hand-off").
 */
final class WorkPool implements AutoCloseable {

    private static final AtomicInteger POOL_IDS = new AtomicInteger();
    /** How long an idle thread watches for work before it parks. */
    static final long SPIN_NANOS = Long.getLong("clipengine.spinMicros", 200) * 1000;

    private final int threads;
    /** threads - 1 workers: the calling thread is the remaining one. Empty when threads == 1. */
    private final Worker[] workers;
    /** The loop pool threads help with; replaced by every {@link #run}. */
    private volatile Loop published;
    private volatile boolean closed;

    WorkPool(int threads, boolean daemon) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        int poolId = POOL_IDS.incrementAndGet();
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = new Thread(workers[i], "clip-kernels-" + poolId + "-" + (i + 1));
            t.setDaemon(daemon);
            workers[i].thread = t;
            t.start();
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
        if (chunks == 1 || workers.length == 0 || closed) {
            body.run(0, n);
            return;
        }
        Loop loop = new Loop(n, chunks, body, Thread.currentThread());
        published = loop;
        int helpers = Math.min(chunks, threads) - 1;
        for (int i = 0; i < helpers; i++) {
            if (workers[i].parked) LockSupport.unpark(workers[i].thread);
        }
        loop.drain();
        loop.awaitCompletion();
        if (published == loop) published = null;   // nothing left to claim; lets the body be collected
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
    }

    /** A pool thread: drains the published loop, spins a while for the next one, then parks. */
    private final class Worker implements Runnable {
        Thread thread;
        volatile boolean parked;

        @Override
        public void run() {
            Loop last = null;
            while (!closed) {
                Loop l = published;
                if (l != null && l != last) {
                    last = l;
                    l.drain();
                    continue;
                }
                long until = System.nanoTime() + SPIN_NANOS;
                while (nothingNew(last) && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                if (nothingNew(last)) {
                    parked = true;
                    if (nothingNew(last)) LockSupport.park(this);   // re-checked after the flag: no lost wake-up
                    parked = false;
                }
            }
        }

        private boolean nothingNew(Loop last) {
            Loop p = published;
            return (p == null || p == last) && !closed;
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
        private volatile boolean callerParked;

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
                    if (finishedChunks.incrementAndGet() == chunks && callerParked) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }

        /** Waits for chunks claimed by pool threads (they are running, not queued): spins a while, then parks. */
        void awaitCompletion() {
            long until = System.nanoTime() + SPIN_NANOS;
            while (finishedChunks.get() < chunks && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            if (finishedChunks.get() < chunks) {
                callerParked = true;
                while (finishedChunks.get() < chunks) {
                    LockSupport.park(this);
                }
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
