package dev.clipengine.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code convert} and {@code info} through picocli, with captured streams. */
class CommandsTest {

    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }

        List<String> outLines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }

    static Result run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    static Result run(String... args) {
        return run(WeightsMain.commandLine(), args);
    }

    /** Exit 2, one line on stderr (argument errors end with a --help hint), no stack trace. */
    static void assertCleanError(Result r, int lines) {
        assertEquals(2, r.code(), r.toString());
        assertEquals(lines, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
    }

    @Test
    void convertHuggingFaceToF16() throws Exception {
        Path out = tmp.resolve("tiny-f16.safetensors");
        Result r = run("convert", Fixtures.hfDir().toString(), "-o", out.toString(), "--dtype", "f16");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertEquals(1, r.outLines().size(), r.out());
        assertTrue(r.out().contains("Hugging Face CLIPModel safetensors") && r.out().contains("F16")
                && r.out().contains("MiB") && r.out().contains("4 heads"), r.out());
        try (ClipCheckpoint ck = ClipCheckpoint.open(out)) {
            assertEquals(Fixtures.GOLDEN, ck.config());
            assertEquals(DType.F16, ck.tensor("visual.proj").dtype());
            assertEquals(Sha256.of(Fixtures.hfDir().resolve("model.safetensors")), ck.metadata().get("source_sha256"));
        }
    }

    @Test
    void convertOpenClipNeedsHeads() {
        Path out = tmp.resolve("oc.safetensors");
        Result bad = run("convert", Fixtures.openClip().toString(), "-o", out.toString());
        assertCleanError(bad, 1);
        assertTrue(bad.err().contains("--text-heads"), bad.err());
        assertFalse(Files.exists(out));

        Result warned = run("convert", Fixtures.openClip().toString(), "-o", out.toString(), "--text-heads", "2");
        assertEquals(0, warned.code(), warned.err());
        assertEquals(1, warned.errLines().size(), warned.err());
        assertTrue(warned.err().startsWith("warning: ") && warned.err().contains("assumed"), warned.err());

        Result ok = run("convert", Fixtures.openClip().toString(), "-o", out.toString(), "--vision-heads", "4",
                "--text-heads", "2", "--dtype", "BF16");
        assertEquals(0, ok.code(), ok.err());
        assertEquals("", ok.err());
        assertTrue(ok.out().contains("OpenAI/OpenCLIP safetensors") && ok.out().contains("BF16"), ok.out());
    }

    @Test
    void convertAndInfoOnPyTorchFiles() throws Exception {
        for (String n : List.of("openai-jit-fp16.pt", "openai-state_dict.pt", "openai-state_dict-fp16.pt")) {
            Path out = tmp.resolve(n + ".safetensors");
            Result r = run("convert", Fixtures.file(n).toString(), "-o", out.toString(), "--vision-heads", "4", "--text-heads", "2");
            assertEquals(0, r.code(), r.err());
            assertEquals("", r.err());
            assertTrue(r.out().contains(n.contains("jit") ? "TorchScript archive (OpenAI names)" : "PyTorch torch.save zip (OpenAI names)")
                    && r.out().contains("F32, 74 tensors"), r.out());
            try (ClipCheckpoint ck = ClipCheckpoint.open(out)) {
                assertEquals(Fixtures.GOLDEN, ck.config());
                assertEquals(ClipCheckpoint.FORMAT_CANONICAL, ck.format());
            }
        }
        Result info = run("info", Fixtures.file("openai-jit-fp16.pt").toString(), "--vision-heads", "4", "--text-heads", "2");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("format:       TorchScript archive (OpenAI names)"), info.out());
        assertTrue(info.out().contains("dtypes:       F16 x74"), info.out());
        assertTrue(info.out().contains("parameters:   1,812,577"), info.out());
    }

    @Test
    void convertErrors() throws Exception {
        String out = tmp.resolve("x.safetensors").toString();
        Result noHeads = run("convert", Fixtures.file("openai-state_dict-fp16.pt").toString(), "-o", out);
        assertCleanError(noHeads, 1); // width 32 does not fit the width/64 rule: heads must be given
        assertTrue(noHeads.err().contains("--text-heads"), noHeads.err());

        Result missing = run("convert", tmp.resolve("nope.safetensors").toString(), "-o", out);
        assertCleanError(missing, 1);
        assertTrue(missing.err().contains("nope.safetensors: no such file"), missing.err());

        Result hostile = run("convert", TestFiles.raw(tmp.resolve("h.safetensors"), "{\"a\":", new byte[0]).toString(), "-o", out);
        assertCleanError(hostile, 1);
        assertTrue(hostile.err().contains("h.safetensors: safetensors header is not valid JSON"), hostile.err());

        for (String[] args : new String[][] {
                {"convert", "in.safetensors", "-o", out, "--dtype", "i8"},
                {"convert", "in.safetensors"},
                {"convert", "in.safetensors", "-o", out, "--bogus"},
                {"convert", "in.safetensors", "-o", out, "--vision-heads", "0"},
                {"convert", "in.safetensors", "-o", out, "--text-heads", "two"},
                {"frobnicate"}}) {
            Result r = run(args);
            assertCleanError(r, 1);
            assertTrue(r.errLines().get(0).contains("--help"), r.err());
        }
        assertFalse(Files.exists(Path.of(out)));
    }

    @Test
    void infoText() {
        Result r = run("info", Fixtures.hfDir().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("format:       Hugging Face CLIPModel safetensors"), r.out());
        assertTrue(r.out().contains("tensors:      74"), r.out());
        assertTrue(r.out().contains("parameters:   1,812,577"), r.out());
        assertTrue(r.out().contains("dtypes:       F32 x74"), r.out());
        assertTrue(r.out().contains("heads from:   config.json"), r.out());
        assertTrue(r.out().contains("metadata:     format = pt"), r.out());
        assertFalse(r.out().contains("visual.proj F32"), "tensors listed without --tensors");
        Result listed = run("info", Fixtures.hfDir().toString(), "--tensors");
        assertTrue(listed.out().contains("  visual.proj F32 [64, 32]"), listed.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void infoJson() {
        Result r = run("info", Fixtures.openClip().toString(), "--json", "--vision-heads", "4", "--text-heads", "2");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.outLines().size());
        Map<String, Object> j = (Map<String, Object>) Json.parse(r.out());
        assertEquals("OpenAI/OpenCLIP safetensors", j.get("format"));
        assertEquals(74L, j.get("tensor_count"));
        assertEquals(1_812_577L, j.get("parameter_count"));
        assertEquals(Map.of("F32", 74L), j.get("dtypes"));
        assertEquals(Fixtures.GOLDEN.toMap(), j.get("config"));
        assertEquals("override", j.get("heads_source"));
        assertEquals(74, ((List<Object>) j.get("tensors")).size());
    }

    @Test
    void infoOnASafetensorsFileThatIsNotAClipListsTensors() {
        Result r = run("info", Fixtures.file("golden.safetensors").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("not a CLIP"), r.out());
        assertTrue(r.out().contains("  text.ids I64 [10, 77]"), r.out());
        Result j = run("info", Fixtures.file("golden.safetensors").toString(), "--json");
        assertEquals(0, j.code(), j.err());
        assertEquals(null, ((Map<?, ?>) Json.parse(j.out())).get("config"));
    }

    @Test
    void infoErrors() {
        assertCleanError(run("info", tmp.resolve("absent").toString()), 1);
        assertCleanError(run("info", Fixtures.openClip().toString()), 1); // heads cannot be assumed for width 32
    }

    @Test
    void helpReadsLikeAManPage() {
        Result r = run("help", "convert");
        assertEquals(0, r.code());
        for (String h : List.of("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "EXIT STATUS", "--dtype", "--vision-heads")) {
            assertTrue(r.out().contains(h), h);
        }
        assertEquals(0, run("info", "--help").code());
        assertEquals(0, run("--help").code());
        assertCleanError(run(), 2);
    }

    @Command(name = "engine", subcommands = {ConvertCommand.class, InfoCommand.class})
    static final class OtherCli implements Callable<Integer> {
        @Override
        public Integer call() {
            return 0;
        }
    }

    @Test
    void commandsWorkAsSubcommandsOfAnotherCli() {
        CommandLine engine = WeightsMain.configure(new CommandLine(new OtherCli()));
        Result ok = run(engine, "info", Fixtures.hfDir().toString(), "--json");
        assertEquals(0, ok.code(), ok.err());
        Result bad = run(engine, "convert", tmp.resolve("absent").toString(), "-o", tmp.resolve("o").toString());
        assertCleanError(bad, 1);
        Result usage = run(engine, "convert");
        assertCleanError(usage, 1);
        assertTrue(usage.err().contains("engine convert --help"), usage.err());
    }
}
