package dev.clipengine.spark;

import dev.clipengine.model.ClipModel;
import dev.clipengine.weights.HeadCounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loaded model per JVM: the first task of an executor (or the driver, for the text features) maps
 * the weights, every later task and every concurrent task thread of that JVM shares the same
 * {@link ClipModel} (immutable, thread-safe; the weights mapped once, off-heap). Models stay loaded for
 * the life of the JVM: an executor serves one application, and its tasks come and go.
 */
public final class ModelCache {

    private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
    private static final Map<ModelRef, ClipModel> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ModelCache() {
    }

    static ClipModel get(ModelRef ref) throws IOException {
        ClipModel m = MODELS.get(ref);
        if (m != null) return m;
        synchronized (MODELS) {
            m = MODELS.get(ref);
            if (m != null) return m;
            long t0 = System.nanoTime();
            m = ClipModel.load(ref.localPath(), new HeadCounts(ref.visionHeads(), ref.textHeads()));
            int n = LOADS.incrementAndGet();
            LOG.info("clip-engine: loaded model {} in {} ms on {} (model load #{} in this JVM)", m.describe(),
                    (System.nanoTime() - t0) / 1_000_000, Workers.describe(), n);
            MODELS.put(ref, m);
            return m;
        }
    }

    /** How many times this JVM has loaded a model (1 for a whole job, however many tasks ran here). */
    public static int loads() {
        return LOADS.get();
    }
}
