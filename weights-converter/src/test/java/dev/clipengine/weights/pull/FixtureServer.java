package dev.clipengine.weights.pull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JDK's HttpServer on 127.0.0.1 serving byte arrays by path, honouring {@code Range}, with
 * switches for the failures a download must survive: a transfer cut after N bytes, a server error,
 * a server that ignores ranges, extra headers.
 */
final class FixtureServer implements AutoCloseable {

    static final class File {
        final byte[] body;
        final Map<String, String> headers = new ConcurrentHashMap<>();
        volatile int status = 200;
        /** Cut the connection after this many body bytes of the next full (non-range) response; -1: never. */
        volatile long cutAfter = -1;
        volatile boolean ignoreRange;

        File(byte[] body) {
            this.body = body;
        }
    }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");
    private final HttpServer server;
    private final Map<String, File> files = new ConcurrentHashMap<>();
    /** "METHOD path range" of every request, in order. */
    final List<String> requests = new CopyOnWriteArrayList<>();

    FixtureServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    File serve(String path, byte[] body) {
        File f = new File(body);
        files.put(path, f);
        return f;
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String range = ex.getRequestHeaders().getFirst("Range");
        requests.add(ex.getRequestMethod() + " " + path + (range == null ? "" : " " + range));
        File f = files.get(path);
        try (ex) {
            if (f == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            f.headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            if (f.status != 200) {
                ex.sendResponseHeaders(f.status, -1);
                return;
            }
            Matcher m = range == null || f.ignoreRange ? null : RANGE.matcher(range);
            if (m != null && m.matches()) {
                long from = Long.parseLong(m.group(1));
                if (from >= f.body.length) {
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (f.body.length - 1) + "/" + f.body.length);
                ex.sendResponseHeaders(206, f.body.length - from);
                ex.getResponseBody().write(f.body, (int) from, (int) (f.body.length - from));
                return;
            }
            ex.sendResponseHeaders(200, f.body.length);
            OutputStream out = ex.getResponseBody();
            long cut = f.cutAfter;
            if (cut >= 0) {
                f.cutAfter = -1;
                out.write(f.body, 0, (int) cut);
                out.flush();
                // drop the connection mid-body, as a network failure would
                throw new IOException("cut");
            }
            out.write(f.body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
