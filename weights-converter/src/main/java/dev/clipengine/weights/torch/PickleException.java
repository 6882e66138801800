package dev.clipengine.weights.torch;

/**
 * A pickle the restricted unpickler will not or cannot read: malformed, over a limit, or asking
 * for a global outside the whitelist. The message is one short line; the caller adds the file.
 */
public final class PickleException extends Exception {
    public PickleException(String message) {
        super(message);
    }
}
