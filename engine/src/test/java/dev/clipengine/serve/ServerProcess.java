package dev.clipengine.serve;

import dev.clipengine.Fixtures;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code engine.jar serve} as a real process on 127.0.0.1 with the tiny fixture model, plus a small HTTP client.
 * The JVM is started with the Vector API module already added, so the jar does not re-launch itself and this
 * process is the server (a signal reaches it directly).
 */
final class ServerProcess implements AutoCloseable {

    static {
        // the client drops pooled connections well before the server closes idle ones (no POST on a closing socket)
        if (System.getProperty("jdk.httpclient.keepalive.timeout") == null) System.setProperty("jdk.httpclient.keepalive.timeout", "10");
    }

    private static final Pattern LISTENING = Pattern.compile("listening on (http://[^/]+/)");

    final Process process;
    final URI base;
    private final StringBuffer stderr;
    private Thread stderrPump;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private ServerProcess(Process process, URI base, StringBuffer stderr) {
        this.process = process;
        this.base = base;
        this.stderr = stderr;
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("engine.jar", "target/engine.jar"));
        assertTrue(Files.isRegularFile(jar), "engine.jar not built at " + jar.toAbsolutePath());
        return jar;
    }

    static Path model() {
        return Fixtures.clipTiny().resolve("hf");
    }

    static Path fixtureImage() {
        return Fixtures.clipTiny().resolve("methods/input.png");
    }

    /** The JVM command running the jar's CLI directly; {@code jvmOptions} such as -Xmx go before the class. */
    static List<String> javaCommand(List<String> jvmOptions, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", jar().toString(), "dev.clipengine.cli.ClipCli"));
        cmd.addAll(args);
        return cmd;
    }

    /** Starts {@code serve --model <tiny> --port 0 extra…} and waits for its "listening on" line. */
    static ServerProcess start(List<String> jvmOptions, String... extra) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("serve", "--model", model().toString(), "--host", "127.0.0.1", "--port", "0"));
        args.addAll(List.of(extra));
        Process p = new ProcessBuilder(javaCommand(jvmOptions, args)).start();
        StringBuffer err = new StringBuffer();
        Thread errPump = Thread.ofPlatform().daemon().start(() -> pump(p.getErrorStream(), err));
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((line = out.readLine()) != null && System.nanoTime() < deadline) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                BufferedReader rest = out;
                Thread.ofPlatform().daemon().start(() -> pump(rest, new StringBuffer()));
                ServerProcess server = new ServerProcess(p, URI.create(m.group(1)), err);
                server.stderrPump = errPump;
                return server;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("serve did not start: " + err);
    }

    /** Everything the server wrote on stderr, once it has exited (the pump has read to the end). */
    String finalLog() throws InterruptedException {
        stderrPump.join(TimeUnit.SECONDS.toMillis(10));
        return stderr.toString();
    }

    /** Everything the server wrote on stderr so far. */
    String log() {
        return stderr.toString();
    }

    private static void pump(java.io.InputStream in, StringBuffer into) {
        pump(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), into);
    }

    private static void pump(BufferedReader r, StringBuffer into) {
        try (r) {
            String line;
            while ((line = r.readLine()) != null) into.append(line).append('\n');
        } catch (IOException ignored) {
            // the process ended
        }
    }

    HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> post(String path, Form form) throws IOException, InterruptedException {
        return client.send(form.request(base.resolve(path)), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }

    /** A multipart/form-data body built by hand (the JDK client has no form encoder). */
    static final class Form {
        private final String boundary = "----clipengine" + UUID.randomUUID();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        Form file(String name, String filename, byte[] data) {
            head("Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename + "\"\r\nContent-Type: application/octet-stream");
            body.writeBytes(data);
            body.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return this;
        }

        Form field(String name, String value) {
            head("Content-Disposition: form-data; name=\"" + name + "\"");
            body.writeBytes(value.getBytes(StandardCharsets.UTF_8));
            body.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return this;
        }

        Form fields(Map<String, String> values) {
            values.forEach(this::field);
            return this;
        }

        private void head(String headers) {
            body.writeBytes(("--" + boundary + "\r\n" + headers + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        }

        byte[] bytes() {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(body.toByteArray());
            b.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return b.toByteArray();
        }

        String contentType() {
            return "multipart/form-data; boundary=" + boundary;
        }

        HttpRequest request(URI uri) {
            return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120)).header("Content-Type", contentType())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes())).build();
        }
    }
}
