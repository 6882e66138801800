package dev.clipengine.serve;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * Counters for {@code GET /metrics} in the Prometheus text format (0.0.4): requests by route and status, the latency
 * histogram of {@code /v1/segment}, errors by kind, queue depth and work in flight, and the process's heap and
 * resident memory (so that a leak shows on a dashboard, and the load test can watch both).
 */
final class Metrics {

    /** Latency buckets in seconds: from a tiny model's milliseconds to a large model's full-resolution seconds. */
    static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private record RouteStatus(String route, int status) {
    }

    private final Map<RouteStatus, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final LongAdder[] buckets = new LongAdder[BUCKETS.length];
    private final LongAdder latencyCount = new LongAdder();
    private final java.util.concurrent.atomic.DoubleAdder latencySum = new java.util.concurrent.atomic.DoubleAdder();
    private final IntSupplier queued, running;

    Metrics(IntSupplier queued, IntSupplier running) {
        this.queued = queued;
        this.running = running;
        for (int i = 0; i < buckets.length; i++) buckets[i] = new LongAdder();
    }

    void request(String route, int status) {
        requests.computeIfAbsent(new RouteStatus(route, status), k -> new LongAdder()).increment();
        String kind = switch (status / 100 == 2 ? 0 : status) {
            case 0 -> null;
            case 413 -> "too_large";
            case 503 -> "overloaded";
            case 504 -> "timeout";
            case 404, 405 -> "not_found";
            case 499 -> "client_closed";
            default -> status >= 500 ? "internal" : "bad_request";
        };
        if (kind != null) errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** One {@code /v1/segment} answered (any status), {@code seconds} from arrival to the reply. */
    void segmentLatency(double seconds) {
        for (int i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) buckets[i].increment();
        latencyCount.increment();
        latencySum.add(seconds);
    }

    String render() {
        StringBuilder b = new StringBuilder();
        b.append("# HELP clipengine_http_requests_total HTTP requests answered, by route and status.\n");
        b.append("# TYPE clipengine_http_requests_total counter\n");
        new TreeMap<String, Long>(requests.entrySet().stream().collect(java.util.stream.Collectors.toMap(
                e -> "{route=\"" + e.getKey().route() + "\",code=\"" + e.getKey().status() + "\"}", e -> e.getValue().sum())))
                .forEach((labels, n) -> b.append("clipengine_http_requests_total").append(labels).append(' ').append(n).append('\n'));
        b.append("# HELP clipengine_errors_total Requests answered with an error, by kind.\n");
        b.append("# TYPE clipengine_errors_total counter\n");
        for (String kind : new String[] {"bad_request", "too_large", "not_found", "client_closed", "overloaded", "timeout", "internal"}) {
            LongAdder n = errors.get(kind);
            b.append("clipengine_errors_total{kind=\"").append(kind).append("\"} ").append(n == null ? 0 : n.sum()).append('\n');
        }
        b.append("# HELP clipengine_segment_duration_seconds Time from arrival to reply of POST /v1/segment.\n");
        b.append("# TYPE clipengine_segment_duration_seconds histogram\n");
        for (int i = 0; i < BUCKETS.length; i++) {
            b.append("clipengine_segment_duration_seconds_bucket{le=\"").append(number(BUCKETS[i])).append("\"} ").append(buckets[i].sum()).append('\n');
        }
        long count = latencyCount.sum();
        b.append("clipengine_segment_duration_seconds_bucket{le=\"+Inf\"} ").append(count).append('\n');
        b.append("clipengine_segment_duration_seconds_sum ").append(number(latencySum.sum())).append('\n');
        b.append("clipengine_segment_duration_seconds_count ").append(count).append('\n');
        gauge(b, "clipengine_queue_depth", "Segment requests admitted and waiting for a worker.", queued.getAsInt());
        gauge(b, "clipengine_in_flight", "Segmentations running now.", running.getAsInt());
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        gauge(b, "jvm_memory_heap_used_bytes", "Java heap in use.", heap.getUsed());
        gauge(b, "jvm_memory_heap_committed_bytes", "Java heap committed.", heap.getCommitted());
        long rss = residentBytes();
        if (rss >= 0) gauge(b, "process_resident_memory_bytes", "Resident set size of this process.", rss);
        return b.toString();
    }

    private static void gauge(StringBuilder b, String name, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
        b.append(name).append(' ').append(value).append('\n');
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** VmRSS from /proc/self/status (Linux); -1 elsewhere. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
