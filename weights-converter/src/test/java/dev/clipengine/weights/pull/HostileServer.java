package dev.clipengine.weights.pull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A raw HTTP/1.1 server on 127.0.0.1 that misbehaves as a script says: stalls, trickles, lies about
 * lengths, never stops. One script per server; every connection runs it. Closing the server closes
 * every connection, so a test never leaves a thread behind for longer than a sleep step.
 */
final class HostileServer implements AutoCloseable {

    /** What to do with one connection, after its request headers were read. */
    @FunctionalInterface
    interface Script {
        void run(OutputStream out, HostileServer server) throws IOException, InterruptedException;
    }

    private final ServerSocket socket;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    volatile boolean closed;

    HostileServer(Script script) throws IOException {
        socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (!closed) {
                try {
                    Socket s = socket.accept();
                    open.add(s);
                    Thread.ofPlatform().daemon().start(() -> serve(s, script));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    private void serve(Socket s, Script script) {
        try (s) {
            InputStream in = s.getInputStream();
            int state = 0, b; // read up to the blank line ending the request headers
            while (state < 4 && (b = in.read()) != -1) state = (b == (state % 2 == 0 ? '\r' : '\n')) ? state + 1 : 0;
            script.run(s.getOutputStream(), this);
        } catch (IOException | InterruptedException e) {
            // the client gave up, or the server is closing
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + socket.getLocalPort() + "/";
    }

    /** Sleeps {@code ms} in small steps, returning early (with an exception) once the server is closed. */
    void pause(long ms) throws InterruptedException, IOException {
        long end = System.currentTimeMillis() + ms;
        while (System.currentTimeMillis() < end) {
            if (closed) throw new IOException("closed");
            Thread.sleep(Math.min(50, ms));
        }
    }

    static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        socket.close();
        for (Socket s : open) s.close();
    }
}
