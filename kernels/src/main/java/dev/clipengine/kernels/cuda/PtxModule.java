package dev.clipengine.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The committed PTX of {@code kernels/src/main/cuda/clip_kernels.cu} (built by {@code build-ptx.sh}) and what can be
 * read from its text without a GPU: the kernel entry points and their parameter types, the PTX ISA version (which
 * decides the oldest driver that can JIT it) and the SHA-256 of the source it was built from.
 */
public final class PtxModule {

    public static final String RESOURCE = "/dev/clipengine/kernels/cuda/clip_kernels.ptx";

    /** A kernel parameter as PTX declares it. */
    public enum ParamType {
        U64(8), U32(4), S32(4), F32(4), F64(8), S64(8);

        final int bytes;

        ParamType(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }
    }

    private final String text;
    private final Map<String, List<ParamType>> entries;

    private PtxModule(String text) {
        this.text = text;
        this.entries = parseEntries(text);
    }

    /** The PTX shipped in this jar. */
    public static PtxModule load() {
        try (InputStream in = PtxModule.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("PTX resource " + RESOURCE + " missing from the jar");
            return new PtxModule(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static PtxModule of(String text) {
        return new PtxModule(text);
    }

    /** The PTX source, to hand to {@code cuModuleLoadDataEx} (NUL-terminated by the caller). */
    public String text() {
        return text;
    }

    /** Entry name → parameter types, in declaration order. */
    public Map<String, List<ParamType>> entries() {
        return entries;
    }

    /** {@code .version} as 10·major + minor (70 for 7.0). */
    public int isaVersion() {
        Matcher m = Pattern.compile("(?m)^\\.version (\\d+)\\.(\\d+)$").matcher(text);
        if (!m.find()) throw new IllegalStateException("PTX has no .version line");
        return 10 * Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2));
    }

    /** {@code .target}, e.g. "sm_80". */
    public String target() {
        Matcher m = Pattern.compile("(?m)^\\.target (\\S+)$").matcher(text);
        if (!m.find()) throw new IllegalStateException("PTX has no .target line");
        return m.group(1);
    }

    /** The SHA-256 of {@code clip_kernels.cu} that build-ptx.sh recorded. */
    public String sourceSha256() {
        Matcher m = Pattern.compile("(?m)^// source-sha256: ([0-9a-f]{64})$").matcher(text);
        if (!m.find()) throw new IllegalStateException("PTX carries no source-sha256 line (not built by build-ptx.sh?)");
        return m.group(1);
    }

    /**
     * The oldest driver (as {@code cudaDriverGetVersion} reports, 1000·major + 10·minor) whose JIT accepts this PTX
     * ISA. Table from the PTX ISA release notes (ISA 7.0 = CUDA 11.0, 7.8 = 11.8, 8.0 = 12.0, ... 9.0 = 13.0).
     */
    public int minimumDriverVersion() {
        int isa = isaVersion();
        if (isa <= 70) return 11000;
        if (isa <= 78) return 11000 + (isa - 70) * 10;
        if (isa <= 88) return 12000 + (isa - 80) * 10;
        return 13000 + (isa - 90) * 10;
    }

    /** The compute capability {@code .target} needs, e.g. {8, 0}. */
    public int[] minimumComputeCapability() {
        String t = target().replaceAll("[^0-9]", "");
        int v = Integer.parseInt(t);
        return new int[] {v / 10, v % 10};
    }

    private static Map<String, List<ParamType>> parseEntries(String ptx) {
        Map<String, List<ParamType>> out = new LinkedHashMap<>();
        Matcher e = Pattern.compile("\\.visible \\.entry (\\w+)\\(([^)]*)\\)").matcher(ptx);
        Pattern param = Pattern.compile("\\.param \\.(u64|u32|s32|f32|f64|s64) ");
        while (e.find()) {
            List<ParamType> types = new ArrayList<>();
            Matcher p = param.matcher(e.group(2));
            while (p.find()) types.add(ParamType.valueOf(p.group(1).toUpperCase()));
            out.put(e.group(1), List.copyOf(types));
        }
        return Map.copyOf(out);
    }
}
