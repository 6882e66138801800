package dev.clipengine.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The numbers the bindings hard-code against the numbers a C compiler gets from the CUDA headers
 * ({@code src/test/c/cuda_abi.c}). The committed {@code cuda-abi.txt} was generated from CUDA 13.0; when gcc and a
 * toolkit are present the program is compiled and run again here, so a different toolkit is checked too.
 */
class CudaAbiTest {

    private static final List<Class<?>> BINDINGS = List.of(CudaRuntime.class, CudaDriver.class, Cublas.class);

    @Test
    void committedAbiMatchesTheBindings() throws IOException {
        check(parse(committed()));
    }

    @Test
    void everyCudaConstantIsCoveredByTheHeaderCheck() throws IOException, IllegalAccessException {
        Map<String, Long> abi = parse(committed());
        for (Class<?> c : BINDINGS) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (!Modifier.isPublic(m) || !Modifier.isStatic(m) || f.getType() != int.class) continue;
                // cuBLAS's own enums have no header in the toolkit these were generated from (see Cublas javadoc)
                if (c == Cublas.class && f.getName().startsWith("CUBLAS_")) continue;
                assertTrue(abi.containsKey(f.getName()), c.getSimpleName() + "." + f.getName()
                        + " is not checked against the headers: add it to src/test/c/cuda_abi.c and run gen-abi.sh");
            }
        }
    }

    @Test
    void deviceBufferIsLargerThanTheStruct() throws IOException {
        long size = parse(committed()).get("sizeof_cudaDeviceProp");
        assertEquals(1008, size, "CUDA 13.0's sizeof(cudaDeviceProp)");
        assertTrue(CudaDeviceProp.ALLOCATION_BYTES >= 2 * size, "room for growth in later versions");
        assertEquals(CudaDeviceProp.totalGlobalMem$OFFSET + 8, CudaDeviceProp.PREFIX.byteSize());
    }

    @Test
    void recompiledAgainstTheInstalledToolkit(@TempDir Path tmp) throws Exception {
        Path include = CudaTestSupport.cudaInclude();
        Assumptions.assumeTrue(include != null, "skipped: no CUDA toolkit headers (cuda.h) on this machine");
        Assumptions.assumeTrue(CudaTestSupport.hasTool("gcc"), "skipped: no gcc on this machine");
        Path src = CudaTestSupport.moduleDir().resolve("src/test/c/cuda_abi.c");
        CudaTestSupport.run(tmp, "gcc", "-std=c11", "-Wall", "-I" + include, src.toString(), "-o", "cuda_abi");
        String out = CudaTestSupport.run(tmp, tmp.resolve("cuda_abi").toString());
        check(parse(out));
    }

    private static void check(Map<String, Long> abi) {
        int compared = 0;
        for (Map.Entry<String, Long> e : abi.entrySet()) {
            String name = e.getKey();
            long value = e.getValue();
            if (name.equals("CUDART_VERSION") || name.equals("CUDA_VERSION") || name.startsWith("sizeof_")) continue;
            if (name.startsWith("offsetof_cudaDeviceProp_")) {
                String fieldName = name.substring("offsetof_cudaDeviceProp_".length()) + "$OFFSET";
                assertEquals(value, staticLong(CudaDeviceProp.class, fieldName), name);
                compared++;
                continue;
            }
            boolean found = false;
            for (Class<?> c : BINDINGS) {
                try {
                    Field f = c.getField(name);
                    assertEquals(value, f.getInt(null), c.getSimpleName() + "." + name + " vs the header");
                    found = true;
                    compared++;
                } catch (NoSuchFieldException absent) {
                    // another bindings class may hold it
                } catch (IllegalAccessException ex) {
                    throw new AssertionError(ex);
                }
            }
            if (!found) fail("the header reports " + name + " but no binding declares it");
        }
        assertTrue(compared > 60, "compared only " + compared);
    }

    private static long staticLong(Class<?> c, String field) {
        try {
            return c.getField(field).getLong(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(c.getSimpleName() + " has no " + field, e);
        }
    }

    private static String committed() throws IOException {
        try (InputStream in = CudaAbiTest.class.getResourceAsStream("cuda-abi.txt")) {
            if (in == null) throw new IOException("cuda-abi.txt resource missing");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    static Map<String, Long> parse(String text) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            String[] p = line.trim().split(" ");
            out.put(p[0], Long.parseLong(p[1]));
        }
        return out;
    }
}
