package dev.clipengine.serve;

import dev.clipengine.weights.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.clipengine.serve.ServeIT.assertError;
import static dev.clipengine.serve.ServeIT.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bounded queue, the per-request timeout and the graceful shutdown of the real {@code serve} process. A request
 * is kept busy by giving it a vocabulary the server has not seen: its text features (classes × 80 prompts through
 * the text tower) take seconds even on the tiny model, while a cached one answers in milliseconds.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ServeLifecycleIT {

    /** A vocabulary no other request used: {@code n} made-up class names with a fresh prefix. */
    static String freshClasses(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + " thing " + i).collect(Collectors.joining(", "));
    }

    static ServerProcess.Form request(String classes) throws Exception {
        return new ServerProcess.Form().file("image", "input.png", Files.readAllBytes(ServerProcess.fixtureImage()))
                .field("classes", classes).field("size", "64");
    }

    static CompletableFuture<HttpResponse<byte[]>> postAsync(ServerProcess s, ServerProcess.Form form) {
        return s.client.sendAsync(form.request(s.base.resolve("v1/segment")), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Waits until the server reports {@code n} segmentations running (the slow request has reached a worker). */
    static void awaitInFlight(ServerProcess s, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (text(s.get("metrics")).contains("\nclipengine_in_flight " + n + "\n")) return;
            Thread.sleep(10);
        }
        throw new AssertionError("the server never had " + n + " request(s) in flight");
    }

    @Test
    void overQueueCapacityIs503WithRetryAfterAndTheServerRecovers() throws Exception {
        try (ServerProcess s = ServerProcess.start(List.of("-Xmx256m"), "--max-concurrent", "1", "--queue", "0")) {
            var slow = postAsync(s, request(freshClasses("busy", 60)));
            awaitInFlight(s, 1);
            HttpResponse<byte[]> refused = java.net.http.HttpClient.newHttpClient().send(request("road, sky").request(s.base.resolve("v1/segment")),
                    HttpResponse.BodyHandlers.ofByteArray());   // its own connection: refused before its body is read
            assertError(503, refused, "second request with no queue room");
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertEquals(200, slow.get(120, TimeUnit.SECONDS).statusCode(), "the running request");
            assertEquals(200, s.post("v1/segment", request("road, sky")).statusCode(), "after the slot came free");
            assertTrue(text(s.get("metrics")).contains("clipengine_errors_total{kind=\"overloaded\"} 1\n"));
        }
    }

    @Test
    void pastTheTimeoutIs504AndTheSlotStaysTakenUntilTheWorkEnds() throws Exception {
        try (ServerProcess s = ServerProcess.start(List.of("-Xmx256m"), "--max-concurrent", "1", "--queue", "2", "--timeout", "1")) {
            var slow = postAsync(s, request(freshClasses("late", 80)));
            awaitInFlight(s, 1);
            var queued = postAsync(s, request("road, sky"));   // waits behind the slow one, past its own deadline
            assertError(504, slow.get(60, TimeUnit.SECONDS), "the slow request");
            assertError(504, queued.get(60, TimeUnit.SECONDS), "the queued request");
            // the slow work still runs on (it cannot be interrupted); once it ends, the server answers again
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            HttpResponse<byte[]> ok;
            do {
                Thread.sleep(200);
                ok = s.post("v1/segment", request("road, sky"));
            } while (ok.statusCode() == 504 && System.nanoTime() < deadline);
            assertEquals(200, ok.statusCode(), text(ok));
            String m = text(s.get("metrics"));
            assertTrue(m.contains("\nclipengine_in_flight 0\n") && m.contains("\nclipengine_queue_depth 0\n"), m);
        }
    }

    @Test
    void sigtermToTheJarsLauncherDrainsTheServerToo() throws Exception {
        // java -jar without --add-modules: the Launcher starts the server as a child JVM
        List<String> cmd = List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-jar", ServerProcess.jar().toString(), "serve", "--model", ServerProcess.model().toString(), "--port", "0");
        Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(launcher.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
        try {
            String line;
            java.net.URI base = null;
            while (base == null && (line = out.readLine()) != null) {
                var m = java.util.regex.Pattern.compile("listening on (http://[^/]+/)").matcher(line);
                if (m.find()) base = java.net.URI.create(m.group(1));
            }
            assertTrue(base != null, "the server did not start");
            StringBuffer log = new StringBuffer();
            Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> log.append(l).append('\n')));
            ProcessHandle server = launcher.toHandle().children().findFirst().orElseThrow();
            var client = java.net.http.HttpClient.newHttpClient();
            var slow = client.sendAsync(request(freshClasses("orphan", 60)).request(base.resolve("v1/segment")), HttpResponse.BodyHandlers.ofByteArray());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!new String(client.send(java.net.http.HttpRequest.newBuilder(base.resolve("metrics")).build(), HttpResponse.BodyHandlers.ofByteArray()).body(),
                    java.nio.charset.StandardCharsets.UTF_8).contains("\nclipengine_in_flight 1\n")) {
                assertTrue(System.nanoTime() < deadline, "the request never started");
                Thread.sleep(10);
            }
            launcher.toHandle().destroy();   // SIGTERM to the launcher, as a service manager would send
            HttpResponse<byte[]> r = slow.get(120, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), text(r));
            // (its stderr went through the launcher, now gone: the exit and the closed port say it drained and stopped)
            assertTrue(server.onExit().get(60, TimeUnit.SECONDS) != null && !server.isAlive(), "the server JVM did not exit");
            java.net.URI closed = base;
            assertThrows(java.io.IOException.class, () -> client.send(java.net.http.HttpRequest.newBuilder(closed.resolve("v1/health")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()), log.toString());
        } finally {
            launcher.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
    }

    @Test
    void sigtermFinishesTheRequestInFlightThenExits() throws Exception {
        ServerProcess s = ServerProcess.start(List.of("-Xmx256m"));
        try {
            var slow = postAsync(s, request(freshClasses("draining", 60)));
            awaitInFlight(s, 1);
            s.process.toHandle().destroy();   // SIGTERM (Process.destroy would also close our end of its stderr)
            HttpResponse<byte[]> r = slow.get(120, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), text(r));
            Map<?, ?> j = (Map<?, ?>) Json.parse(text(r));
            assertEquals(60, ((List<?>) j.get("classes")).size());
            assertTrue(s.process.waitFor(60, TimeUnit.SECONDS), "the server did not exit");
            String log = s.finalLog();
            assertTrue(log.contains("serve: stopping") && log.contains("serve: stopped"), "exit " + s.process.exitValue() + ", log: " + log);
            var after = assertThrows(Exception.class, () -> s.get("v1/health"));
            assertInstanceOf(ConnectException.class, after instanceof java.io.IOException && after.getCause() != null ? after.getCause() : after, after.toString());
        } finally {
            s.close();
        }
    }
}
