package dev.clipengine.serve;

/**
 * How the service runs.
 *
 * @param host            address to bind (loopback by default: exposing it is a decision for the operator)
 * @param port            TCP port; 0 takes a free one (the startup line says which)
 * @param workers         segmentations running at once
 * @param queue           requests allowed to wait for a worker; past {@code workers + queue}: 503
 * @param maxUploadBytes  largest request body
 * @param maxPixels       largest image, by the pixel count its header declares (checked before decoding)
 * @param timeoutSeconds  per request, from arrival to the reply (queueing included)
 * @param graceSeconds    on shutdown, how long requests in flight may take to finish
 */
public record ServeConfig(String host, int port, int workers, int queue, long maxUploadBytes, long maxPixels,
                          int timeoutSeconds, int graceSeconds) {

    public ServeConfig {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        if (workers < 1) throw new IllegalArgumentException("--max-concurrent must be at least 1, got " + workers);
        if (queue < 0) throw new IllegalArgumentException("--queue must be 0 or more, got " + queue);
        if (maxUploadBytes < 1) throw new IllegalArgumentException("--max-upload-mb must be positive");
        if (maxPixels < 1) throw new IllegalArgumentException("--max-megapixels must be positive");
        if (timeoutSeconds < 1) throw new IllegalArgumentException("--timeout must be at least 1 second, got " + timeoutSeconds);
        if (graceSeconds < 0) throw new IllegalArgumentException("--grace must be 0 or more, got " + graceSeconds);
    }
}
