package dev.clipengine.model;

import dev.clipengine.kernels.Backend;
import dev.clipengine.kernels.WeightMatrix;

import java.util.ArrayList;
import java.util.List;

/**
 * What a model holds on its backend (prepared weights, biases, norms, embeddings), made once when it is loaded and
 * released together when it is closed (device memory is not garbage collected).
 */
final class Prepared implements AutoCloseable {

    private final Backend backend;
    private final List<AutoCloseable> held = new ArrayList<>();

    Prepared(Backend backend) {
        this.backend = backend;
    }

    Backend backend() {
        return backend;
    }

    synchronized Backend.Weights weights(WeightMatrix w) {
        return keep(backend.weights(w));
    }

    /** A copy of {@code values} on the backend (the array stays the caller's). */
    synchronized Backend.Buffer upload(float[] values) {
        return keep(backend.upload(values));
    }

    synchronized <T extends AutoCloseable> T keep(T resource) {
        held.add(resource);
        return resource;
    }

    /** Releases everything, newest first; the first failure is rethrown after all were tried. */
    @Override
    public synchronized void close() {
        RuntimeException first = null;
        for (int i = held.size() - 1; i >= 0; i--) {
            try {
                held.get(i).close();
            } catch (Exception e) {
                if (first == null) first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        }
        held.clear();
        if (first != null) throw first;
    }
}
