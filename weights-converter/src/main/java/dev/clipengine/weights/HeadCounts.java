package dev.clipengine.weights;

/**
 * Attention head counts given by the user; {@code null} means "not given". Heads cannot be read
 * from tensor shapes, so these override whatever the checkpoint's side files say.
 */
public record HeadCounts(Integer vision, Integer text) {

    /** Nothing given. */
    public static final HeadCounts NONE = new HeadCounts(null, null);

    public HeadCounts {
        if (vision != null && vision <= 0) throw new IllegalArgumentException("vision heads must be positive, got " + vision);
        if (text != null && text <= 0) throw new IllegalArgumentException("text heads must be positive, got " + text);
    }
}
