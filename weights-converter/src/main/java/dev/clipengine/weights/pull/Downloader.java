package dev.clipengine.weights.pull;

import dev.clipengine.weights.OutputFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams one URL into a file, verifying it, and only then moves it into place.
 *
 * <p>Bytes go to {@code <target>.part} through a 1 MiB buffer (constant memory) while a SHA-256 is
 * computed on the way. When a {@code .part} is already there (an interrupted run), the request asks
 * for the rest ({@code Range: bytes=N-}); a {@code 206} with the matching {@code Content-Range}
 * continues it (the part's bytes are hashed first), anything else restarts from zero. A transfer
 * that ends early keeps the {@code .part} for the next run and says so. When complete, the size
 * must equal what the server announced and the SHA-256 what was published (or, without a published
 * one, what the server states in {@code X-Linked-ETag}); a mismatch deletes the {@code .part}, so
 * nothing unverified is left. Only a verified file is moved to {@code target}, atomically.
 *
 * <p>A server is not trusted to behave: the headers must arrive within {@link Limits#stall()}, the
 * body must keep coming ({@link Watchdog}), a negative {@code Content-Length} is refused, and a body
 * announced or streamed past the file's {@code maxBytes} is stopped and deleted.
 */
public final class Downloader {

    /** A failed download; the message is one line saying what happened and what to do. */
    public static final class DownloadException extends IOException {
        public DownloadException(String message) {
            super(message);
        }
    }

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

    /**
     * How long a server may keep us waiting. {@code connect}: to open the connection; {@code stall}: for
     * the response headers, and for each further {@code minBytes} of the body (a server that sends
     * nothing, or a byte every few seconds, is given up on after one such window, whatever it announced).
     */
    public record Limits(Duration connect, Duration stall, long minBytes) {
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(30), Duration.ofSeconds(30), 1024);
    }

    /** A verified download: its SHA-256, and whether it was checked against one published or stated by the server. */
    public record Fetched(String sha256, boolean checked) {
    }

    private final HttpClient client;
    private final Progress.Factory progress;
    private final Limits limits;

    public Downloader(Progress.Factory progress) {
        this(progress, Limits.DEFAULT);
    }

    public Downloader(Progress.Factory progress, Limits limits) {
        this(HttpClient.newBuilder().connectTimeout(limits.connect())
                .followRedirects(HttpClient.Redirect.NORMAL).build(), progress, limits);
    }

    Downloader(HttpClient client, Progress.Factory progress, Limits limits) {
        this.client = client;
        this.progress = progress;
        this.limits = limits;
    }

    /**
     * Downloads {@code url} to {@code target} (its folder is created).
     *
     * @param expectedSha256 the published SHA-256 (lowercase hex), or null to use the server's
     * @param maxBytes       the most the file can have: a larger announced or streamed body is refused
     * @return the SHA-256 of the file now at {@code target}, and whether it was checked against a stated one
     */
    public Fetched download(URI url, Path target, String expectedSha256, String label, long maxBytes) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path part = target.resolveSibling(target.getFileName() + ".part");
        OutputFiles.refuseNonRegular(target);
        OutputFiles.refuseNonRegular(part);
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        HttpResponse<InputStream> response = send(url, have, target);
        int status = response.statusCode();
        if (have > 0 && status == 416) {
            // the server has nothing after our bytes: the part is stale or complete; start over, once
            response.body().close();
            Files.deleteIfExists(part);
            have = 0;
            response = send(url, 0, target);
            status = response.statusCode();
        }
        long start = 0;
        long total = -1;
        if (status == 206 && have > 0) {
            Matcher m = CONTENT_RANGE.matcher(response.headers().firstValue("content-range").orElse(""));
            if (m.matches() && Long.parseLong(m.group(1)) == have) {
                start = have;
                total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
            } else {
                // a range we did not ask for: do not splice it onto our bytes
                response.body().close();
                Files.deleteIfExists(part);
                response = send(url, 0, target);
                status = response.statusCode();
            }
        }
        if (start == 0) {
            if (status != 200) {
                response.body().close();
                throw new DownloadException("downloading " + url + " failed: the server answered HTTP " + status
                        + (status == 404 ? " (not found)" : status >= 500 ? " (server error; try again later)" : "")
                        + "; nothing was saved to " + target);
            }
            total = announcedLength(response, url, target);
        }
        if (total > maxBytes) {
            response.body().close();
            throw new DownloadException("the server announces " + total + " bytes for " + url + ", more than the " + maxBytes
                    + " this file can have; nothing was saved to " + target);
        }
        String sha = expectedSha256 != null ? expectedSha256.toLowerCase(Locale.ROOT) : linkedEtag(response).orElse(null);
        MessageDigest md = sha256();
        if (start > 0) hashExisting(part, start, md);
        long written = start;
        Watchdog watchdog = new Watchdog(limits.stall(), limits.minBytes(), start);
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     start > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
             Progress bar = progress.start(label, start, total);
             watchdog) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (n > maxBytes - written) {
                    throw new DownloadException("the server sent more than the " + maxBytes + " bytes " + url
                            + " can have; the download was stopped and deleted, nothing was saved to " + target);
                }
                out.write(buf, 0, n);
                md.update(buf, 0, n);
                written += n;
                watchdog.progress(written);
                bar.update(written);
            }
        } catch (DownloadException e) {
            Files.deleteIfExists(part);
            throw e;
        } catch (IOException e) {
            if (watchdog.fired()) throw stalled(url, part, written, total);
            throw interrupted(url, part, written, total, e);
        }
        if (watchdog.fired()) throw stalled(url, part, written, total);
        if (total >= 0 && written != total) throw interrupted(url, part, written, total, null);
        String got = HexFormat.of().formatHex(md.digest());
        if (sha != null && !sha.equals(got)) {
            Files.deleteIfExists(part);
            throw new DownloadException("checksum mismatch for " + url + ": its SHA-256 is " + got + " but "
                    + (expectedSha256 != null ? "the published one is " : "the server states ") + sha
                    + "; the download was deleted, nothing was saved to " + target);
        }
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return new Fetched(got, sha != null);
    }

    /**
     * The announced body length, or -1 when none is announced. A negative or unparsable
     * {@code Content-Length} is refused: on a kept-alive connection the client would wait for bytes
     * that never come.
     */
    private static long announcedLength(HttpResponse<InputStream> response, URI url, Path target) throws IOException {
        Optional<String> v = response.headers().firstValue("content-length");
        if (v.isEmpty()) return -1;
        long n;
        try {
            n = Long.parseLong(v.get().strip());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0) {
            response.body().close();
            throw new DownloadException("the server announced Content-Length '" + v.get() + "' for " + url
                    + ", which is not a length; nothing was saved to " + target);
        }
        return n;
    }

    private DownloadException stalled(URI url, Path part, long written, long total) {
        return new DownloadException("download of " + url + " stalled: fewer than " + limits.minBytes() + " bytes in "
                + limits.stall().toSeconds() + " s after " + written + (total >= 0 ? " of " + total : "") + " bytes; the "
                + written + " bytes are kept in " + part + " and the next run resumes from there");
    }

    private HttpResponse<InputStream> send(URI url, long from, Path target) throws IOException {
        // the headers must be complete within one stall window (a server trickling them is given up on)
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(limits.stall()).GET();
        if (from > 0) b.header("Range", "bytes=" + from + "-");
        try {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException | UnknownHostException | HttpConnectTimeoutException e) {
            throw offline(url, target, e);
        } catch (java.net.http.HttpTimeoutException e) {
            throw new DownloadException("downloading " + url + " failed: no complete response within "
                    + limits.stall().toSeconds() + " s; nothing was saved to " + target);
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException || e.getCause() instanceof UnknownHostException) {
                throw offline(url, target, e);
            }
            throw new DownloadException("downloading " + url + " failed: " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException("downloading " + url + " was interrupted");
        } catch (IllegalArgumentException e) {
            throw new DownloadException("cannot download " + url + ": " + e.getMessage());
        }
    }

    /** The message for no network: where to get the file and where to put it by hand. */
    static DownloadException offline(URI url, Path target, Exception e) {
        return new DownloadException("cannot reach " + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "")
                + " (" + unreachable(e) + "); offline? download " + url + " by other means and put it at " + target
                + ", then run this again");
    }

    /**
     * Why a host could not be reached, in words: the JDK's connection exceptions often carry no message, and their
     * class name ("ConnectException") is not what a user should read in the one line a failed run prints.
     */
    static String unreachable(Exception e) {
        Throwable t = e instanceof ConnectException || e instanceof UnknownHostException || e.getCause() == null ? e : e.getCause();
        if (t instanceof UnknownHostException) return "unknown host";
        if (t instanceof HttpConnectTimeoutException) return "connection timed out";
        String m = t.getMessage();
        return m == null || m.isBlank() ? "no connection" : m.replace('\n', ' ');
    }

    private static DownloadException interrupted(URI url, Path part, long written, long total, IOException e) {
        return new DownloadException("download of " + url + " stopped after " + written + (total >= 0 ? " of " + total : "")
                + " bytes" + (e == null ? "" : " (" + describe(e) + ")") + "; the " + written + " bytes are kept in " + part
                + " and the next run resumes from there");
    }

    /** The SHA-256 the Hugging Face Hub states for an LFS file, from this response or a redirect before it. */
    static Optional<String> linkedEtag(HttpResponse<?> r) {
        for (HttpResponse<?> x = r; x != null; x = x.previousResponse().orElse(null)) {
            Optional<String> v = x.headers().firstValue("x-linked-etag");
            if (v.isPresent()) {
                String s = v.get().replace("W/", "").replace("\"", "").strip().toLowerCase(Locale.ROOT);
                if (SHA.matcher(s).matches()) return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private static void hashExisting(Path part, long bytes, MessageDigest md) throws IOException {
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.READ)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 20);
            long left = bytes;
            while (left > 0) {
                buf.clear().limit((int) Math.min(buf.capacity(), left));
                int n = ch.read(buf);
                if (n < 0) throw new IOException(part + " shrank while resuming");
                md.update(buf.flip());
                left -= n;
            }
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.replace('\n', ' '));
    }
}
