package dev.clipengine.serve;

import dev.clipengine.cli.SegmentArguments;
import picocli.CommandLine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The form parts of {@code POST /v1/segment} turned into a {@link SegmentRequest}. Every option part is handed to the
 * {@code segment} command's own option parser ({@link SegmentArguments}) as {@code --option=value}, so a part means
 * exactly what the command-line option means, with the same defaults and checks, and the same inputs give the same
 * label map. Options that name files on the server ({@code --templates}, {@code --classes-file}, {@code --model}) are
 * not parts: a client must not make the server read its files.
 */
final class FormOptions {

    /** Part name → {@code segment} option taking a value. */
    private static final Map<String, String> VALUED = new LinkedHashMap<>();
    /** Part name → {@code segment} boolean option (part value true/false). */
    private static final Map<String, String> FLAGS = new LinkedHashMap<>();

    static {
        for (String o : List.of("classes", "vocabulary", "background", "method", "profile", "size", "protocol", "eps",
                "min-samples", "denoise", "pos-interp", "crop", "stride", "logit-scale", "prob-thd", "area-thd", "sigma")) {
            VALUED.put(o.replace('-', '_'), "--" + o);
        }
        FLAGS.put("cls_reweight", "--cls-reweight");
        FLAGS.put("exif", "--exif");
    }

    /** The option parts a request may carry, in the form's documented order. */
    static List<String> optionParts() {
        List<String> all = new ArrayList<>(VALUED.keySet());
        all.addAll(FLAGS.keySet());
        return all;
    }

    private FormOptions() {
    }

    /**
     * @throws HttpError 400 for a missing image, empty classes, an unknown part or option value, and whatever the
     *                   {@code segment} command would refuse (its one-line message, with part names for option names)
     */
    static SegmentRequest parse(List<Multipart.Part> parts, SegmentRequest.Output output) {
        Multipart.Part image = null;
        List<String> argv = new ArrayList<>();
        // exif: on unless the form says false, as segment applies the orientation unless --no-exif
        boolean exif = true, classesGiven = false;
        for (Multipart.Part p : parts) {
            String name = p.name().toLowerCase(Locale.ROOT).replace('-', '_');
            if (name.equals("image")) {
                if (image != null) throw new HttpError(400, "more than one 'image' part: send one image per request");
                image = p;
                continue;
            }
            String value = p.text().strip();
            if (name.equals("classes")) {
                classesGiven = true;
                if (value.isEmpty()) throw new HttpError(400, "empty classes: the 'classes' part holds no class name (give names separated by commas)");
            }
            if (VALUED.containsKey(name)) {
                if (!value.isEmpty()) argv.add(VALUED.get(name) + "=" + value);   // '=': a value starting with '-' stays a value
            } else if (FLAGS.containsKey(name)) {
                boolean on = switch (value.toLowerCase(Locale.ROOT)) {
                    case "true", "on", "1", "yes" -> true;
                    case "false", "off", "0", "no" -> false;
                    default -> throw new HttpError(400, "part '" + name + "' must be true or false, got '" + abbreviate(value) + "'");
                };
                if (name.equals("exif")) exif = on;
                else argv.add(on ? FLAGS.get(name) : "--no-" + FLAGS.get(name).substring(2));
            } else {
                throw new HttpError(400, "unknown part '" + abbreviate(p.name()) + "' (expected image, " + String.join(", ", optionParts()) + ")");
            }
        }
        if (image == null) throw new HttpError(400, "no 'image' part: upload the image as a file part named 'image'");
        if (image.data().length == 0) throw new HttpError(400, "the 'image' part is empty (0 bytes)");
        String filename = image.filename() == null || image.filename().isBlank() ? "image" : image.filename();
        try {
            return new SegmentRequest(image.data(), filename, exif, plan(argv), output);
        } catch (CommandLine.ParameterException | IllegalArgumentException | IllegalStateException | IOException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (!classesGiven && message.startsWith("give the classes")) {
                message = "give the classes: a 'classes' part (names separated by commas) or a 'vocabulary' part";
            }
            throw new HttpError(400, partNames(message));
        }
    }

    /**
     * The plan for these arguments. Building picocli's model of the {@code segment} command costs milliseconds, more
     * than a tiny model's whole segmentation; a plan depends on the arguments alone and is immutable, so the last
     * {@link #CACHED_PLANS} are kept (clients tend to repeat one set of options).
     */
    static SegmentRequest.Plan plan(List<String> argv) throws IOException {
        List<String> key = List.copyOf(argv);
        synchronized (PLANS) {
            SegmentRequest.Plan hit = PLANS.get(key);
            if (hit != null) return hit;
        }
        // the required options the parts replace; the others stay in the spec but no part maps to them
        SegmentArguments arguments = new SegmentArguments("--image", "--out", "--model");
        // a value such as "--size" given as a class name stays a value, as '=' says
        new CommandLine(arguments.mixin()).setAllowOptionsAsOptionParameters(true).parseArgs(key.toArray(String[]::new));
        arguments.requireCpu("serve");
        SegmentRequest.Plan plan = new SegmentRequest.Plan(arguments.methodOptions(), arguments.vocabulary());
        synchronized (PLANS) {
            PLANS.put(key, plan);
        }
        return plan;
    }

    static final int CACHED_PLANS = 256;
    private static final Map<List<String>, SegmentRequest.Plan> PLANS = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<String>, SegmentRequest.Plan> eldest) {
            return size() > CACHED_PLANS;
        }
    };

    /** The command's messages name options ("--min-samples"); the API's client sent parts ("min_samples"). */
    private static String partNames(String message) {
        String m = message.replace("--no-cls-reweight", "cls_reweight");
        for (var e : VALUED.entrySet()) m = m.replace("'" + e.getValue() + "'", "'" + e.getKey() + "'").replace(e.getValue() + " ", e.getKey() + " ");
        for (var e : FLAGS.entrySet()) m = m.replace(e.getValue(), e.getKey());
        return m;
    }

    private static String abbreviate(String s) {
        String oneLine = s.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() <= 40 ? oneLine : oneLine.substring(0, 40) + "…";
    }
}
