package dev.clipengine.serve;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.clipengine.model.ClipModel;
import dev.clipengine.segment.Method;
import dev.clipengine.segment.Profile;
import dev.clipengine.segment.Vocabulary;
import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.WeightsMain;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP service: the JDK's {@code com.sun.net.httpserver} with one virtual thread per exchange (blocking I/O is
 * cheap, and no library is needed), a {@link WorkQueue} of platform workers in front of the one loaded model.
 * Routes: {@code POST /v1/segment}, {@code GET /v1/health}, {@code GET /v1/info}, {@code GET /metrics}, the page at
 * {@code /} and {@code /openapi.yaml}. Every error is JSON with a one-line message.
 */
public final class SegmentServer implements AutoCloseable {

    static {
        // Nagle's algorithm holds the body's last segment until the client's delayed ACK (tens of ms per reply on
        // loopback); the JDK server leaves TCP_NODELAY off unless told. Read once, when its classes load.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) System.setProperty("sun.net.httpserver.nodelay", "true");
        // The server closes a kept-alive connection after 30 s idle by default, the same as the JDK client's pool
        // keeps one: a client may then send a POST on a connection being closed, and POSTs are not retried. Idle
        // connections stay open longer than common client pools keep them (nginx's habit), unless set.
        if (System.getProperty("sun.net.httpserver.idleInterval") == null) System.setProperty("sun.net.httpserver.idleInterval", "75");
    }

    private final ServeConfig config;
    private final ClipModel model;
    private final SegmentService service;
    private final WorkQueue queue;
    private final Metrics metrics;
    private final HttpServer http;
    private final ExecutorService exchanges = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final StaticFiles files = new StaticFiles();
    private final PrintWriter log;

    private SegmentServer(ServeConfig config, ClipModel model, PrintWriter log) throws IOException {
        this.config = config;
        this.model = model;
        this.log = log;
        this.service = new SegmentService(model, config.maxPixels());
        this.queue = new WorkQueue(config.workers(), config.queue());
        this.metrics = new Metrics(queue::queued, queue::running);
        this.http = bind(config);
        http.createContext("/", this::handle);
        http.setExecutor(exchanges);
    }

    /** The listening socket, or an error that says which address could not be had (in use, not this host's). */
    private static HttpServer bind(ServeConfig config) throws IOException {
        try {
            return HttpServer.create(new InetSocketAddress(config.host(), config.port()), 64);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage()
                    + " (choose another --port or --host)", e);
        }
    }

    /** Binds and starts serving {@code model} (which the server then owns and closes). */
    public static SegmentServer start(ServeConfig config, ClipModel model, PrintWriter log) throws IOException {
        SegmentServer s = new SegmentServer(config, model, log);
        s.http.start();
        return s;
    }

    /** The bound address (the real port when the config asked for 0). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    /**
     * Graceful stop: refuse new work, let the requests in flight finish (up to the grace period), then close the model.
     */
    @Override
    public void close() {
        if (!draining.compareAndSet(false, true)) return;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.graceSeconds());
        try {
            // requests already read keep their worker; HttpServer.stop closes the listener and waits for open exchanges
            http.stop(config.graceSeconds());
            while (inFlight.get() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
            queue.drain(Math.max(0, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            queue.close();
            exchanges.shutdownNow();
            model.close();
        }
    }

    /**
     * Counts one request in the metrics, once: when its answer is about to go out ({@link #send}), so that a client
     * that scrapes {@code /metrics} after reading an answer finds it counted, or at the end when none was sent.
     */
    private final class Tally {
        static final String ATTRIBUTE = Tally.class.getName();
        private final long start;
        private String route;
        private boolean counted;

        Tally(long start, String route) {
            this.start = start;
            this.route = route;
        }

        void count(int status) {
            if (counted) return;
            counted = true;
            metrics.request(route, status);
            if (route.equals("/v1/segment")) metrics.segmentLatency((System.nanoTime() - start) / 1e9);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        long start = System.nanoTime();
        inFlight.incrementAndGet();
        String path = ex.getRequestURI().getPath();
        Tally tally = new Tally(start, path);
        ex.setAttribute(Tally.ATTRIBUTE, tally);
        int status = 500;
        try {
            status = switch (path) {
                case "/v1/segment" -> {
                    tally.route = "/v1/segment";
                    requireMethod(ex, "POST");
                    yield segment(ex, start);
                }
                case "/v1/health" -> {
                    requireMethod(ex, "GET");
                    yield json(ex, draining.get() ? 503 : 200, Map.of("status", draining.get() ? "draining" : "ok"));
                }
                case "/v1/info" -> {
                    requireMethod(ex, "GET");
                    yield json(ex, 200, info());
                }
                case "/metrics" -> {
                    requireMethod(ex, "GET");
                    yield send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render().getBytes(StandardCharsets.UTF_8));
                }
                default -> {
                    var file = files.get(path);
                    if (file.isEmpty()) {
                        tally.route = "other";
                        throw new HttpError(404, "no such resource: " + oneLine(path) + " (see /openapi.yaml)");
                    }
                    requireMethod(ex, "GET");
                    yield send(ex, 200, file.get().contentType(), file.get().bytes());
                }
            };
        } catch (HttpError e) {
            status = error(ex, e.status, e.getMessage(), e.retryAfterSeconds);
        } catch (IOException e) {
            status = 499;   // the client went away while we read or wrote; nothing to answer
        } catch (OutOfMemoryError e) {
            status = error(ex, 503, "out of memory while serving this request; retry later or send a smaller image", 5);
        } catch (Exception | Error e) {
            log.println("serve: internal error on " + oneLine(path) + ": " + WeightsMain.describe(e));
            if (Boolean.getBoolean("clipengine.debug")) e.printStackTrace(log);
            log.flush();
            status = error(ex, 500, "internal error: " + e.getClass().getSimpleName(), 0);
        } finally {
            tally.count(status);   // a no-op when the answer was counted as it went out
            ex.close();
            inFlight.decrementAndGet();
        }
    }

    private int segment(HttpExchange ex, long start) throws Exception {
        if (draining.get()) throw new HttpError(503, "shutting down", 5);
        SegmentRequest.Output output = output(ex.getRequestURI());
        WorkQueue.Ticket ticket = queue.admit();
        try {
            byte[] body = Uploads.read(ex, config.maxUploadBytes());
            List<Multipart.Part> parts = Multipart.parse(body, Multipart.boundary(ex.getRequestHeaders().getFirst("Content-Type")));
            SegmentRequest request = FormOptions.parse(parts, output);
            service.check(request);
            long deadline = start + TimeUnit.SECONDS.toNanos(config.timeoutSeconds());
            long queuedAt = System.nanoTime();
            SegmentReply reply = queue.submit(ticket, () -> {
                long began = System.nanoTime();
                SegmentReply r = service.run(request);
                @SuppressWarnings("unchecked")
                Map<String, Object> timings = (Map<String, Object>) r.summary().get("timings_ms");
                timings.put("queue", (began - queuedAt) / 1e6);
                return r;
            }, deadline, "timed out after " + config.timeoutSeconds() + " s (queue and work); the server may be overloaded");
            return switch (output) {
                case LABELS -> send(ex, 200, "image/png", reply.labelsPng());
                case OVERLAY -> send(ex, 200, "image/png", reply.overlayPng());
                case JSON -> {
                    Map<String, Object> j = new LinkedHashMap<>(reply.summary());
                    @SuppressWarnings("unchecked")
                    Map<String, Object> timings = (Map<String, Object>) j.get("timings_ms");
                    timings.put("request", (System.nanoTime() - start) / 1e6);   // arrival to reply, as the client sees it
                    j.put("labels_png", Base64.getEncoder().encodeToString(reply.labelsPng()));
                    j.put("overlay_png", Base64.getEncoder().encodeToString(reply.overlayPng()));
                    yield json(ex, 200, j);
                }
            };
        } finally {
            ticket.release();   // no-op once the work took it over
        }
    }

    private static SegmentRequest.Output output(URI uri) {
        String query = uri.getRawQuery();
        if (query == null || query.isEmpty()) return SegmentRequest.Output.JSON;
        SegmentRequest.Output out = SegmentRequest.Output.JSON;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq), value = eq < 0 ? "" : pair.substring(eq + 1);
            if (!key.equals("output")) throw new HttpError(400, "unknown query parameter '" + oneLine(key) + "' (expected output)");
            out = switch (value.toLowerCase(Locale.ROOT)) {
                case "json" -> SegmentRequest.Output.JSON;
                case "labels" -> SegmentRequest.Output.LABELS;
                case "overlay" -> SegmentRequest.Output.OVERLAY;
                default -> throw new HttpError(400, "unknown output '" + oneLine(value) + "' (expected json, labels or overlay)");
            };
        }
        return out;
    }

    private Map<String, Object> info() {
        ClipConfig c = model.config();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.describe());
        Map<String, Object> arch = new LinkedHashMap<>();
        arch.put("image_size", c.imageSize());
        arch.put("patch_size", c.patchSize());
        arch.put("embed_dim", c.embedDim());
        arch.put("vision_width", c.visionWidth());
        arch.put("vision_layers", c.visionLayers());
        arch.put("text_width", c.textWidth());
        arch.put("text_layers", c.textLayers());
        m.put("architecture", arch);
        m.put("device", model.backend().name());
        m.put("methods", Arrays.stream(Method.values()).map(Method::cliName).toList());
        m.put("profiles", Profile.names());
        Map<String, Object> vocabularies = new LinkedHashMap<>();
        vocabularies.put("cliptrase", new ArrayList<>(Vocabulary.bundled().keySet()));
        vocabularies.put("slide", Vocabulary.nameFiles());
        m.put("vocabularies", vocabularies);
        m.put("options", FormOptions.optionParts());
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("max_concurrent", config.workers());
        limits.put("queue", config.queue());
        limits.put("max_upload_bytes", config.maxUploadBytes());
        limits.put("max_pixels", config.maxPixels());
        limits.put("timeout_s", config.timeoutSeconds());
        m.put("limits", limits);
        return m;
    }

    private static void requireMethod(HttpExchange ex, String method) {
        String m = ex.getRequestMethod();
        if (m.equals(method) || (method.equals("GET") && m.equals("HEAD"))) return;
        ex.getResponseHeaders().set("Allow", method.equals("GET") ? "GET, HEAD" : method);
        throw new HttpError(405, "method " + oneLine(m) + " not allowed here (use " + method + ")");
    }

    private static int json(HttpExchange ex, int status, Object body) throws IOException {
        return send(ex, status, "application/json; charset=utf-8", Json.write(body).getBytes(StandardCharsets.UTF_8));
    }

    private static int error(HttpExchange ex, int status, String message, int retryAfter) {
        try {
            if (retryAfter > 0) ex.getResponseHeaders().set("Retry-After", Integer.toString(retryAfter));
            // answered before the body was read (too large, busy, wrong route): the connection cannot carry another
            // request, and a client that reused it would see a reset; say so, and the server closes it after the reply
            if (Uploads.unread(ex)) ex.getResponseHeaders().set("Connection", "close");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", oneLine(message));
            body.put("status", status);
            return json(ex, status, body);
        } catch (IOException | RuntimeException e) {
            return status;   // headers already sent or the client is gone: nothing more to say
        }
    }

    private static int send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", contentType);
        h.set("Cache-Control", "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (ex.getAttribute(Tally.ATTRIBUTE) instanceof Tally t) t.count(status);
        ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
        return status;
    }

    static String oneLine(String s) {
        String t = s == null ? "" : s.replaceAll("[\\r\\n\\t]+", " ");
        return t.length() <= 500 ? t : t.substring(0, 500) + "…";
    }

    /** Request bodies, bounded. */
    static final class Uploads {
        private Uploads() {
        }

        /** The whole body, or 413 before reading when its declared length is over the limit, or while reading past it. */
        static byte[] read(HttpExchange ex, long limit) throws IOException {
            String declared = ex.getRequestHeaders().getFirst("Content-Length");
            if (declared != null) {
                long n;
                try {
                    n = Long.parseLong(declared.strip());
                } catch (NumberFormatException e) {
                    throw new HttpError(400, "invalid Content-Length");
                }
                if (n > limit) throw tooLarge(n, limit);
            }
            try (InputStream in = ex.getRequestBody()) {
                byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, limit + 1));
                if (body.length > limit) throw tooLarge(-1, limit);
                ex.setAttribute(READ, Boolean.TRUE);
                return body;
            }
        }

        private static final String READ = "clipengine.body-read";

        /**
         * Whether the request has a body that {@link #read} has not consumed and that is too long for the JDK server
         * to drain when the exchange closes (64 KiB, {@code sun.net.httpserver.drainAmount}); it closes such a
         * connection after the reply.
         */
        static boolean unread(HttpExchange ex) {
            if (ex.getAttribute(READ) != null) return false;
            Headers h = ex.getRequestHeaders();
            if (h.containsKey("Transfer-Encoding")) return true;
            try {
                String length = h.getFirst("Content-Length");
                return length != null && Long.parseLong(length.strip()) > 64 * 1024;
            } catch (NumberFormatException e) {
                return true;
            }
        }

        private static HttpError tooLarge(long n, long limit) {
            return new HttpError(413, "request body " + (n >= 0 ? "of " + n + " bytes " : "") + "is larger than this server's limit of "
                    + limit + " bytes (--max-upload-mb)");
        }
    }
}
