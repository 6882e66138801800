package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.Fixtures;
import dev.clipengine.model.PositionalInterpolation;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Issue 18, "one set of shared options": every command that runs the network takes the same model options
 * (a file or a model name, default ViT-B/16; head counts; {@code --device}), {@code eval} and {@code bench}
 * included, and {@code --size}, {@code --pos-interp} and {@code --templates} are each declared once and mean
 * the same wherever they appear.
 */
class SharedOptionsTest {

    @TempDir
    Path tmp;

    static final List<String> NETWORK_COMMANDS = List.of("embed-text", "embed-image", "classify", "segment", "serve", "eval", "bench");

    static OptionSpec option(String command, String name) {
        return ClipCli.newCommandLine().getSubcommands().get(command).getCommandSpec().findOption(name);
    }

    /** The class that declares the field behind an option: one class per option means one declaration. */
    static Class<?> declaredIn(OptionSpec o) {
        assertTrue(o.userObject() instanceof Field, o.longestName() + " is not an annotated field: " + o.userObject());
        return ((Field) o.userObject()).getDeclaringClass();
    }

    @Test
    void everyNetworkCommandHasTheModelOptionsOnce() {
        for (String command : NETWORK_COMMANDS) {
            for (String name : List.of("--model", "--device", "--vision-heads", "--text-heads")) {
                OptionSpec o = option(command, name);
                assertNotNull(o, command + " has no " + name);
                assertFalse(o.required(), command + " requires " + name);
            }
            assertEquals(ModelOptions.class, declaredIn(option(command, "--model")), command);
            assertEquals(DeviceOption.class, declaredIn(option(command, "--device")), command);
        }
    }

    @Test
    void sizeInterpolationAndTemplatesAreDeclaredOnce() {
        Map<String, List<String>> has = Map.of(
                "segment", List.of("--size", "--pos-interp", "--templates"),
                "eval", List.of("--size", "--pos-interp", "--templates"),
                "embed-image", List.of("--size", "--pos-interp"),
                "classify", List.of("--size", "--pos-interp"),
                "bench", List.of("--size", "--pos-interp"));
        String sizeHelp = String.join(" ", option("segment", "--size").description());
        has.forEach((command, names) -> {
            for (String name : names) {
                OptionSpec o = option(command, name);
                assertNotNull(o, command + " has no " + name);
                assertEquals(name.equals("--templates") ? EncodingOptions.class : SizeOptions.class, declaredIn(o), command + " " + name);
            }
            assertEquals(sizeHelp, String.join(" ", option(command, "--size").description()), command);
        });
        // and the commands that do not encode an image do not take them
        assertNull(option("embed-text", "--size"));
    }

    @Test
    void withoutModelTheDefaultIsViTB16() {
        CommandLine cl = ClipCli.newCommandLine();
        cl.parseArgs("segment", "a.png", "--classes", "road", "--out", "o");
        SegmentCommand segment = cl.getSubcommands().get("segment").getCommand();
        assertEquals("ViT-B/16", segment.model.name());
        cl = ClipCli.newCommandLine();
        cl.parseArgs("eval", "--dataset", "camvid", "--data", "d", "--model", "openai/clip-vit-base-patch16", "--device", "cpu");
        EvalCommand eval = cl.getSubcommands().get("eval").getCommand();
        assertEquals("openai/clip-vit-base-patch16", eval.model.name());
        assertEquals("cpu", eval.model.deviceOption.device);
        assertTrue(String.join(" ", option("segment", "--model").description()).contains("Default: ViT-B/16"));
    }

    @Test
    void eachCommandKeepsItsOwnDefaults() {
        CommandLine cl = ClipCli.newCommandLine();
        cl.parseArgs("bench", "--random", "vit-b-16");
        BenchCommand bench = cl.getSubcommands().get("bench").getCommand();
        assertEquals(224, bench.sizing.size(224));
        assertEquals(PositionalInterpolation.BICUBIC, bench.sizing.interpolation(PositionalInterpolation.BICUBIC));
        cl = ClipCli.newCommandLine();
        cl.parseArgs("segment", "a.png", "--classes", "road", "--out", "o", "--size", "448", "--pos-interp", "bicubic");
        SegmentCommand segment = cl.getSubcommands().get("segment").getCommand();
        assertEquals(448, segment.encoding.image.size(336));
        assertEquals(PositionalInterpolation.BICUBIC, segment.encoding.image.interpolation(PositionalInterpolation.CLIPTRASE));
    }

    @Test
    void benchRefusesModelWithRandomInOneLine() {
        HelpAndRoughEdgesTest.Run r = HelpAndRoughEdgesTest.run("bench", "--random", "vit-b-16", "--model", "x.safetensors");
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("error: --model and --random"), r.err());
    }

    @Test
    void benchAndEvalTakeDeviceLikeTheOtherCommands() throws Exception {
        HelpAndRoughEdgesTest.Run r = HelpAndRoughEdgesTest.run("bench", "--random", "vit-b-16", "--device", "tpu");
        assertEquals(2, r.code());
        assertEquals(List.of("error: --device must be auto, cpu, cuda or cuda:N, got 'tpu'"), r.errLines());

        // eval on two CamVid images with the tiny model on the CPU: the device line, then the scores
        Path out = tmp.resolve("metrics");
        r = HelpAndRoughEdgesTest.run("eval", "--dataset", "camvid", "--data", Fixtures.dataset("camvid-val").toString(), "--limit", "2",
                "--model", Fixtures.clipTiny().resolve("hf").toString(), "--device", "cpu", "--method", "sclip", "--size", "64",
                "--pos-interp", "bicubic", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.toLowerCase().contains("cpu")), r.err());
        String metrics = Files.readString(out.resolve("metrics.json"));
        assertTrue(metrics.contains("\"short_side\":64"), metrics);
        assertTrue(metrics.contains("\"images\":2"), metrics);
    }
}
