package dev.clipengine.weights.torch;

/**
 * Bounds on what a PyTorch file may declare, so that a hostile or broken file fails fast with a
 * message instead of exhausting memory or time. The defaults leave room for any CLIP checkpoint
 * (OpenAI's ViT-L/14@336px TorchScript archive has about 800 zip entries, a 100 KB data.pkl and
 * about 400 tensors) by one to three orders of magnitude.
 *
 * @param maxZipEntries     entries in the zip's central directory
 * @param maxPickleBytes    size of {@code data.pkl} (inflated)
 * @param maxCodeBytes      size of one TorchScript {@code code/...py} file read for parameter names
 * @param maxStack          items on the unpickler's stack
 * @param maxMemo           entries in the unpickler's memo
 * @param maxMarks          open MARKs (nesting of tuples/lists/dicts under construction)
 * @param maxDepth          depth of the module graph walked for TorchScript, and of dict keys
 * @param maxTensors        tensors in one file
 * @param maxRank           dimensions of one tensor
 * @param maxInflatedBytes  total bytes of deflated storages inflated off-heap (PyTorch stores them
 *                          uncompressed; a deflated storage comes from re-zipping by hand)
 */
public record TorchLimits(int maxZipEntries, long maxPickleBytes, long maxCodeBytes, int maxStack, int maxMemo,
                          int maxMarks, int maxDepth, int maxTensors, int maxRank, long maxInflatedBytes) {

    public static final TorchLimits DEFAULT = new TorchLimits(100_000, 256L << 20, 16L << 20, 4_000_000, 4_000_000,
            10_000, 100, 1_000_000, 8, 8L << 30);

    public TorchLimits {
        if (maxZipEntries < 1 || maxPickleBytes < 1 || maxCodeBytes < 0 || maxStack < 1 || maxMemo < 0 || maxMarks < 1
                || maxDepth < 1 || maxTensors < 1 || maxRank < 1 || maxInflatedBytes < 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    public TorchLimits withMaxInflatedBytes(long n) {
        return new TorchLimits(maxZipEntries, maxPickleBytes, maxCodeBytes, maxStack, maxMemo, maxMarks, maxDepth,
                maxTensors, maxRank, n);
    }

    public TorchLimits withMaxPickleBytes(long n) {
        return new TorchLimits(maxZipEntries, n, maxCodeBytes, maxStack, maxMemo, maxMarks, maxDepth, maxTensors,
                maxRank, maxInflatedBytes);
    }

    public TorchLimits withMaxZipEntries(int n) {
        return new TorchLimits(n, maxPickleBytes, maxCodeBytes, maxStack, maxMemo, maxMarks, maxDepth, maxTensors,
                maxRank, maxInflatedBytes);
    }

    public TorchLimits withStackAndMemo(int stack, int memo, int marks) {
        return new TorchLimits(maxZipEntries, maxPickleBytes, maxCodeBytes, stack, memo, marks, maxDepth, maxTensors,
                maxRank, maxInflatedBytes);
    }
}
