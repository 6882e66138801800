package dev.clipengine.serve;

import java.util.Map;

/**
 * What one segmentation gives the client: the summary (the JSON reply without the images) and the PNGs asked for
 * (null when not asked for: {@code ?output=labels} renders no overlay).
 */
record SegmentReply(Map<String, Object> summary, byte[] labelsPng, byte[] overlayPng) {
}
