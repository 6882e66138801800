package dev.clipengine.serve;

import dev.clipengine.Fixtures;
import dev.clipengine.model.ClipModel;
import dev.clipengine.weights.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.clipengine.serve.ServeIT.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bounded load test on loopback: 8 clients × 50 requests against the real server with the tiny model, every
 * reply compared with the sequential one for the same input, heap (after a forced GC) and resident memory measured
 * idle after the warm-up, after half the requests and at the end; then the same work done in-process, for the ratio. All traffic goes
 * to 127.0.0.1, the request count is fixed, and every request has a timeout.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class LoadIT {

    static final int CLIENTS = 8, REQUESTS = 50, WORKERS = 2;

    record Input(String name, byte[] image, Map<String, String> parts) {
        ServerProcess.Form form() {
            return new ServerProcess.Form().file("image", name, image).fields(parts);
        }
    }

    /** What must not change between a sequential reply and a reply under load. */
    record Result(byte[] labels, byte[] overlay, Object legend) {
        static Result of(HttpResponse<byte[]> r) {
            assertEquals(200, r.statusCode(), text(r));
            Map<?, ?> j = (Map<?, ?>) Json.parse(text(r));
            return new Result(Base64.getDecoder().decode((String) j.get("labels_png")),
                    Base64.getDecoder().decode((String) j.get("overlay_png")), j.get("legend"));
        }

        void assertSame(Result expected, String what) {
            assertArrayEquals(expected.labels, labels, what + ": label map");
            assertArrayEquals(expected.overlay, overlay, what + ": overlay");
            assertEquals(expected.legend, legend, what + ": legend");
        }
    }

    static List<Input> inputs() throws Exception {
        byte[] png = Files.readAllBytes(ServerProcess.fixtureImage());
        byte[] camvid = Files.readAllBytes(Fixtures.dataset("0016E5_07959.png"));
        Map<String, String> cliptrase = new LinkedHashMap<>(Map.of("classes", "road, car, sky, tree, building", "size", "64"));
        Map<String, String> naclip = new LinkedHashMap<>(Map.of("method", "naclip", "classes", "road, car, sky, tree, building",
                "size", "64", "crop", "32", "stride", "16"));
        return List.of(new Input("input.png", png, cliptrase), new Input("input.png", png, naclip),
                new Input("camvid.png", camvid, cliptrase), new Input("camvid.png", camvid, naclip));
    }

    @Test
    void eightClientsFiftyRequestsEach() throws Exception {
        List<Input> inputs = inputs();
        // a fixed, pre-touched heap: resident memory then moves only if something outside the heap grows
        try (ServerProcess s = ServerProcess.start(List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"),
                "--max-concurrent", String.valueOf(WORKERS), "--queue", "16");
             ClipModel model = ClipModel.load(ServerProcess.model())) {
            // the same work in this JVM: the same parts, parsed and run by the same classes, replied as JSON
            SegmentService local = new SegmentService(model, 40_000_000L);
            List<SegmentRequest> requests = new ArrayList<>();
            for (Input in : inputs) {
                ServerProcess.Form form = in.form();
                requests.add(FormOptions.parse(Multipart.parse(form.bytes(), Multipart.boundary(form.contentType())), SegmentRequest.Output.JSON));
            }
            List<Result> expected = new ArrayList<>();
            for (Input in : inputs) expected.add(Result.of(s.post("v1/segment", in.form())));
            for (int round = 0; round < 6; round++) {       // warm-up (JIT) of both; results must not drift either
                for (int i = 0; i < inputs.size(); i++) {
                    Result.of(s.post("v1/segment", inputs.get(i).form())).assertSame(expected.get(i), "warm-up");
                    assertArrayEquals(expected.get(i).labels, local.run(requests.get(i)).labelsPng(), "in-process equals the server");
                }
            }
            // one request at a time, HTTP and in-process alternated so that the machine's drift hits both alike
            double[] sequential = new double[40], sequentialLocal = new double[40];
            for (int k = 0; k < sequential.length; k++) {
                long t = System.nanoTime();
                Result.of(s.post("v1/segment", inputs.get(k % inputs.size()).form())).assertSame(expected.get(k % inputs.size()), "sequential");
                sequential[k] = (System.nanoTime() - t) / 1e6;
                t = System.nanoTime();
                reply(local, requests.get(k % requests.size()));
                sequentialLocal[k] = (System.nanoTime() - t) / 1e6;
            }
            Memory warm = Memory.of(s);

            // two rounds of 8 clients × 25 requests, each followed by the same 200 requests in-process on as many
            // threads as the server has workers; memory measured while idle after each HTTP round: the first round
            // opens the clients' connections and fills the pools, a leak would go on growing in the second
            double[] latency = new double[CLIENTS * REQUESTS];
            double seconds = 0, secondsLocal = 0;
            Memory[] idle = new Memory[2];
            for (int round = 0; round < 2; round++) {
                int from = round * REQUESTS / 2, to = (round + 1) * REQUESTS / 2;
                long start = System.nanoTime();
                try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
                    List<Future<?>> done = new ArrayList<>();
                    for (int c = 0; c < CLIENTS; c++) {
                        int client = c;
                        done.add(clients.submit(() -> {
                            for (int k = from; k < to; k++) {
                                int which = (client + k) % inputs.size();
                                long t = System.nanoTime();
                                HttpResponse<byte[]> r = s.post("v1/segment", inputs.get(which).form());
                                latency[client * REQUESTS + k] = (System.nanoTime() - t) / 1e6;
                                Result.of(r).assertSame(expected.get(which), "client " + client + " request " + k);
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : done) f.get(5, TimeUnit.MINUTES);   // rethrows any client's failure
                }
                seconds += (System.nanoTime() - start) / 1e9;
                idle[round] = Memory.of(s);

                start = System.nanoTime();
                try (ExecutorService pool = Executors.newFixedThreadPool(WORKERS)) {
                    List<Future<?>> done = new ArrayList<>();
                    for (int n = 0; n < CLIENTS * (to - from); n++) {
                        SegmentRequest r = requests.get(n % requests.size());
                        done.add(pool.submit(() -> reply(local, r)));
                    }
                    for (Future<?> f : done) f.get(5, TimeUnit.MINUTES);
                }
                secondsLocal += (System.nanoTime() - start) / 1e9;
            }
            Memory half = idle[0], end = idle[1];
            String m = text(s.get("metrics"));
            long ok = counter(m, "clipengine_http_requests_total{route=\"/v1/segment\",code=\"200\"}");
            assertEquals(inputs.size() * 7L + sequential.length + (long) CLIENTS * REQUESTS, ok, "every request answered 200, none lost");
            assertEquals(0, counter(m, "clipengine_errors_total{kind=\"overloaded\"}") + counter(m, "clipengine_errors_total{kind=\"timeout\"}")
                    + counter(m, "clipengine_errors_total{kind=\"internal\"}"));

            Arrays.sort(latency);
            Arrays.sort(sequential);
            Arrays.sort(sequentialLocal);
            double throughput = latency.length / seconds, throughputLocal = latency.length / secondsLocal;
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("clients", CLIENTS);
            report.put("requests_per_client", REQUESTS);
            report.put("workers", WORKERS);
            report.put("http_p50_ms", round(pct(latency, 50)));
            report.put("http_p99_ms", round(pct(latency, 99)));
            report.put("http_max_ms", round(latency[latency.length - 1]));
            report.put("http_throughput_per_s", round(throughput));
            report.put("inprocess_throughput_per_s", round(throughputLocal));
            report.put("throughput_ratio_http_to_inprocess", round(throughput / throughputLocal));
            report.put("http_sequential_p50_ms", round(pct(sequential, 50)));
            report.put("inprocess_sequential_p50_ms", round(pct(sequentialLocal, 50)));
            report.put("sequential_latency_ratio_http_to_inprocess", round(pct(sequential, 50) / pct(sequentialLocal, 50)));
            report.put("heap_after_gc_mb", List.of(round(warm.heap / 1e6), round(half.heap / 1e6), round(end.heap / 1e6)));
            report.put("rss_mb", List.of(round(warm.rss / 1e6), round(half.rss / 1e6), round(end.rss / 1e6)));
            report.put("load_average", round(java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
            String json = Json.write(report);
            System.out.println("serve load test: " + json);
            Files.writeString(Path.of(System.getProperty("java.io.tmpdir"), "clip-engine-serve-load.json"), json + "\n");

            // flat: the live heap and the resident set do not grow with the number of requests served
            assertTrue(end.heap - warm.heap < 16e6, "heap after GC grew by more than 16 MB: " + json);
            assertTrue(end.heap - half.heap < 4e6, "heap after GC still growing in the second round: " + json);
            assertTrue(end.rss - half.rss < 24e6, "resident memory still growing in the second round: " + json);
            assertTrue(end.rss - warm.rss < 64e6, "resident memory grew by more than 64 MB: " + json);
        }
    }

    /** The server's work for one request without HTTP: segment and render, then base64 both PNGs into the JSON. */
    static int reply(SegmentService service, SegmentRequest r) throws Exception {
        SegmentReply reply = service.run(r);
        Map<String, Object> j = new LinkedHashMap<>(reply.summary());
        j.put("labels_png", Base64.getEncoder().encodeToString(reply.labelsPng()));
        j.put("overlay_png", Base64.getEncoder().encodeToString(reply.overlayPng()));
        return Json.write(j).getBytes(StandardCharsets.UTF_8).length;
    }

    /** The server's live heap (after a full GC requested with jcmd) and resident set. */
    record Memory(long heap, long rss) {
        static Memory of(ServerProcess s) throws Exception {
            Process gc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(s.process.pid()), "GC.run").redirectErrorStream(true).start();
            gc.getInputStream().readAllBytes();
            assertTrue(gc.waitFor(60, TimeUnit.SECONDS));
            String m = text(s.get("metrics"));
            return new Memory(counter(m, "jvm_memory_heap_used_bytes"), rss(s).rss);
        }

        static Memory rss(ServerProcess s) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + s.process.pid() + "/status"))) {
                    if (line.startsWith("VmRSS:")) return new Memory(-1, Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            throw new AssertionError("no VmRSS for " + s.process.pid());
        }
    }

    static long counter(String metrics, String key) {
        for (String line : metrics.split("\n")) if (line.startsWith(key + " ")) return Long.parseLong(line.substring(key.length() + 1).strip());
        return 0;
    }

    static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    static double round(double v) {
        return Double.parseDouble(String.format(Locale.ROOT, "%.2f", v));
    }
}
