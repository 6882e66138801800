package dev.clipengine.cli;

import picocli.CommandLine.Option;

/**
 * Whether a command turns photos upright by their EXIF orientation tag: on by default, since a phone
 * stores most photos sideways with a tag saying so, and a map of a sideways photo is useless to its user.
 * {@code --no-exif} reads the pixels as stored, which is what the CLIPtrase reference (PIL without
 * {@code exif_transpose}) does; {@code --exif}, the switch of earlier versions, is still accepted.
 * Two plain flags rather than one picocli negatable option: each spelling means exactly what it says
 * whatever the default, and the contradictory pair is refused instead of one silently winning.
 */
final class ExifOption {

    @Option(names = "--no-exif", description = "Read the pixels as stored, ignoring the EXIF orientation tag (as the CLIPtrase reference does).")
    boolean noExif;

    @Option(names = "--exif", description = "Turn photos upright by their EXIF orientation tag (the default; kept for older command lines).")
    boolean exif;

    /** True unless {@code --no-exif}; both flags together are a contradiction, refused in one line. */
    boolean apply() {
        if (noExif && exif) throw new IllegalArgumentException("--exif and --no-exif contradict each other: give one");
        return !noExif;
    }
}
