package dev.clipengine.cli;

import dev.clipengine.segment.Vocabulary;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The options that shape what the network sees for a segmentation, declared once for {@code segment} and
 * {@code eval} (and, through {@code segment}'s options, the Spark job): the image side and positional
 * interpolation ({@link SizeOptions}) and the prompt templates the class names are put in.
 */
final class EncodingOptions {

    @Mixin
    SizeOptions image;

    @Option(names = "--templates", paramLabel = "FILE",
            description = "Prompt templates, one per line with {} where the class name goes (default: the 80 ImageNet templates).")
    Path templates;

    /** {@code --templates}' lines, else the 80 ImageNet templates. */
    List<String> templates() throws IOException {
        return templates == null ? Vocabulary.imageNetTemplates() : Vocabulary.readTemplates(templates);
    }
}
