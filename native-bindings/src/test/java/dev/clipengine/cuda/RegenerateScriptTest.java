package dev.clipengine.cuda;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** regenerate-bindings.sh (which cannot run here: no jextract) lists exactly the functions the bindings bind. */
class RegenerateScriptTest {

    private static List<String> list(String script, String name) {
        Matcher m = Pattern.compile(name + "=\\(([^)]*)\\)").matcher(script);
        if (!m.find()) throw new AssertionError(name + " missing from regenerate-bindings.sh");
        return List.of(m.group(1).trim().split("\\s+"));
    }

    private static List<String> primary(List<List<String>> groups) {
        List<String> out = new ArrayList<>();
        // for versioned alternatives the script names the CUDA 13 header's symbol: the last alternative
        for (List<String> g : groups) out.add(g.get(g.size() - 1));
        return out;
    }

    @Test
    void functionListsMatchTheBindings() throws Exception {
        String script = Files.readString(CudaTestSupport.moduleDir().resolve("regenerate-bindings.sh"));
        assertEquals(primary(CudaSymbolsTest.runtimeSymbols()), list(script, "RUNTIME_FUNCTIONS"));
        assertEquals(primary(CudaSymbolsTest.driverSymbols()), list(script, "DRIVER_FUNCTIONS"));
        assertEquals(primary(CudaSymbolsTest.cublasSymbols()), list(script, "CUBLAS_FUNCTIONS"));
    }
}
