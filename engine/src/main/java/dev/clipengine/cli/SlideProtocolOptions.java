package dev.clipengine.cli;

import dev.clipengine.model.PositionalInterpolation;
import dev.clipengine.segment.Method;
import dev.clipengine.segment.Profile;
import dev.clipengine.segment.SlideOptions;
import dev.clipengine.segmentation.Pamr;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** The method and slide-protocol options {@code segment} and {@code eval} share (docs/training-free-methods.md §3). */
final class SlideProtocolOptions {

    @Option(names = "--method", defaultValue = "cliptrase", paramLabel = "M",
            description = "cliptrase (default), vanilla, maskclip, maskclip-reduced, sclip, clearclip, naclip, scclip, resclip; "
                    + "and reclip++, zegclip, tagclip (the seed heads, from their own --model checkpoint).")
    String method;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Slide protocol settings of one repository for one dataset: sclip-|naclip-|clearclip-|scclip-|resclip- followed by "
                    + "voc21, voc20, pc60, pc59, object, stuff, city, ade (and sclip-stuff10k). Its repository's method unless --method is given.")
    String profile;

    @Option(names = "--crop", paramLabel = "C", description = "Slide window side; 0 = the whole image (default 224, or the profile's).")
    Integer crop;

    @Option(names = "--stride", paramLabel = "T", description = "Slide window stride (default 112, or the profile's).")
    Integer stride;

    @Option(names = "--logit-scale", paramLabel = "X", description = "Multiplier of the cosine logits before the softmax (default 40, or the profile's).")
    Float logitScale;

    @Option(names = "--prob-thd", paramLabel = "P", description = "Pixels whose top class probability is below P become class 0 (default 0, or the profile's).")
    Float probThd;

    @Option(names = "--area-thd", paramLabel = "A",
            description = "Drop classes other than 0 whose predicted area is at most A times all non-class-0 pixels (default off, or the profile's).")
    Float areaThd;

    @Option(names = "--sigma", paramLabel = "S", description = "NACLIP's and ResCLIP's Gaussian sigma in patches (default 5).")
    Double sigma;

    @Option(names = "--pamr", description = "Refine the logits at the original size with PAMR (10 steps, dilations 8 and 16) before the decision.")
    boolean pamr;

    /** The method asked for: explicit, else the profile's repository's, else cliptrase. */
    Method method() {
        if (!method.equalsIgnoreCase("cliptrase") || profile == null) return Method.parse(method);
        return Profile.named(profile).method();
    }

    /** Whether this run is a slide-protocol one (any method but cliptrase, or a profile, or --protocol slide). */
    boolean isSlide(String protocol) {
        return method() != Method.CLIPTRASE || "slide".equalsIgnoreCase(protocol);
    }

    void refuseSlideOptions() {
        List<String> given = new ArrayList<>();
        if (crop != null) given.add("--crop");
        if (stride != null) given.add("--stride");
        if (logitScale != null) given.add("--logit-scale");
        if (probThd != null) given.add("--prob-thd");
        if (areaThd != null) given.add("--area-thd");
        if (sigma != null) given.add("--sigma");
        if (pamr) given.add("--pamr");
        if (!given.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", given) + " apply to the slide protocol; --method cliptrase clusters instead");
        }
    }

    /** The profile in force ({@link Profile#defaults} without --profile). */
    Profile profile() {
        return profile == null ? Profile.defaults(method()) : Profile.named(profile);
    }

    /** Profile values overridden by the explicit options. */
    SlideOptions resolve(String protocol, Integer size, PositionalInterpolation posInterp, List<String> templates) {
        if (protocol != null && !protocol.equalsIgnoreCase("slide")) {
            throw new IllegalArgumentException("--method " + method().cliName() + " runs the slide protocol, not '" + protocol + "'");
        }
        Method m = method();
        if (m == Method.CLIPTRASE) throw new IllegalArgumentException("--protocol slide needs a --method other than cliptrase");
        Profile p = profile();
        int c = crop != null ? crop : p.crop();
        // a smaller --crop than the profile's stride would leave gaps: the stride follows it down
        int t = stride != null ? stride : Math.min(p.stride(), Math.max(c, 1));
        return new SlideOptions(m, sigma != null ? sigma : Method.DEFAULT_SIGMA, size != null ? size : p.shortSide(), 2048, c,
                c == 0 ? 0 : t, logitScale != null ? logitScale : p.logitScale(), probThd != null ? probThd : p.probThd(),
                areaThd != null ? areaThd : p.areaThd(), m == Method.NACLIP || m == Method.RESCLIP, m == Method.CLEARCLIP,
                posInterp, templates, p.resclip(), pamr ? Pamr.standard() : null);
    }
}
