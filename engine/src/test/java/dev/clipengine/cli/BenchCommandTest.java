package dev.clipengine.cli;

import dev.clipengine.model.RandomWeights;
import dev.clipengine.weights.ClipConfig;
import dev.clipengine.weights.DType;
import dev.clipengine.weights.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench command's contract (its JSON keys and exit codes), on a tiny random model: not a timing test. */
class BenchCommandTest {

    @Test
    void printsMediansAsJson(@TempDir Path dir) throws Exception {
        ClipConfig tiny = new ClipConfig(16, 32, 8, 32, 2, 2, 64, 77, 49408, 24, 2, 3, 48);
        Path file = dir.resolve("tiny.safetensors");
        RandomWeights.write(file, tiny, DType.F16, 1);
        StringWriter out = new StringWriter();
        var cli = ClipCli.newCommandLine();
        cli.setOut(new PrintWriter(out));
        int code = cli.execute("bench", "--model", file.toString(), "--size", "64", "--repeat", "2", "--warmup", "0", "--json");
        assertEquals(0, code, out.toString());
        Map<?, ?> r = (Map<?, ?>) Json.parse(out.toString().strip());
        for (String key : new String[] {"image_encoder_s", "segment_s", "gflops", "segment_breakdown", "peak_rss_mb"}) {
            assertTrue(r.containsKey(key), key + " in " + out);
        }
        assertTrue(((Number) r.get("image_encoder_s")).doubleValue() > 0);
        double flops = RandomWeights.VIT_B_16.imageEncoderFlops(224);
        assertEquals(35.1e9, flops, 0.1e9, "ViT-B/16 at 224 is the issue's 35.1 GFLOP");
        assertEquals(82.8e9, RandomWeights.VIT_B_16.imageEncoderFlops(336), 0.1e9);
    }

    @Test
    void refusesAnUnknownArchitecture() {
        StringWriter err = new StringWriter();
        var cli = ClipCli.newCommandLine();
        cli.setErr(new PrintWriter(err));
        int code = cli.execute("bench", "--random", "vit-x-99", "--repeat", "1");
        assertEquals(ClipCli.EXIT_BAD_INPUT, code, err.toString());
    }
}
