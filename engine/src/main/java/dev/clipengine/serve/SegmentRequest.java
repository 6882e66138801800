package dev.clipengine.serve;

import dev.clipengine.segment.MethodOptions;
import dev.clipengine.segment.Vocabulary;

/**
 * One {@code POST /v1/segment}, parsed and resolved: the uploaded bytes (not decoded yet: decoding is work, done in
 * the bounded pool) and the segmentation to run, resolved exactly as {@code segment} resolves its options.
 *
 * @param image    the uploaded file
 * @param filename the file's name as the client gave it (labels messages and the JSON)
 * @param exif     honour the EXIF orientation
 * @param plan     which method, with which options and classes
 * @param output   what the reply holds
 */
record SegmentRequest(byte[] image, String filename, boolean exif, Plan plan, Output output) {

    /** What the reply holds: the JSON with both PNGs, or one PNG alone ({@code ?output=labels|overlay}). */
    enum Output { JSON, LABELS, OVERLAY }

    /** Which method, with which options, on which classes: any method, the same way (docs/pipeline.md). */
    record Plan(MethodOptions options, Vocabulary vocabulary) {
        String method() {
            return options.method().cliName();
        }
    }
}
