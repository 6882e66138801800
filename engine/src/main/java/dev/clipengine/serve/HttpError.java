package dev.clipengine.serve;

/**
 * A request the service answers with a 4xx/5xx status and a one-line JSON message ({@code {"error": …}}), never a
 * stack trace. {@code retryAfterSeconds} > 0 adds a {@code Retry-After} header (overload).
 */
final class HttpError extends RuntimeException {

    final int status;
    final int retryAfterSeconds;

    HttpError(int status, String message) {
        this(status, message, 0);
    }

    HttpError(int status, String message, int retryAfterSeconds) {
        super(message, null, false, false);   // no stack trace: it is a reply, not a bug
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }
}
