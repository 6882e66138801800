package dev.clipengine.cuda;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The leading fields of {@code struct cudaDeviceProp}, jextract style (a layout plus static accessors).
 *
 * <p>Only the prefix that has been stable since CUDA 11 is described: {@code name}, {@code uuid}, {@code luid},
 * {@code luidDeviceNodeMask}, {@code totalGlobalMem}. The rest of the struct changed between CUDA 12 and 13 (13 dropped
 * several clock and mode fields), so anything else is read with {@code cudaDeviceGetAttribute}, whose enum values are
 * stable. The whole struct is still written by {@code cudaGetDeviceProperties}, so callers allocate
 * {@link #ALLOCATION_BYTES}, well above every known {@code sizeof} (1008 in CUDA 13.0, checked by {@code CudaAbiTest}).
 */
public final class CudaDeviceProp {

    /** Bytes to allocate for the whole struct of any CUDA version up to at least 13.x. */
    public static final long ALLOCATION_BYTES = 4096;

    public static final StructLayout PREFIX = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(256, JAVA_BYTE).withName("name"),
            MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("uuid"),
            MemoryLayout.sequenceLayout(8, JAVA_BYTE).withName("luid"),
            JAVA_INT.withName("luidDeviceNodeMask"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("totalGlobalMem")).withName("cudaDeviceProp");

    public static final long name$OFFSET = PREFIX.byteOffset(MemoryLayout.PathElement.groupElement("name"));
    public static final long uuid$OFFSET = PREFIX.byteOffset(MemoryLayout.PathElement.groupElement("uuid"));
    public static final long luid$OFFSET = PREFIX.byteOffset(MemoryLayout.PathElement.groupElement("luid"));
    public static final long luidDeviceNodeMask$OFFSET =
            PREFIX.byteOffset(MemoryLayout.PathElement.groupElement("luidDeviceNodeMask"));
    public static final long totalGlobalMem$OFFSET =
            PREFIX.byteOffset(MemoryLayout.PathElement.groupElement("totalGlobalMem"));

    private CudaDeviceProp() {
    }

    /** The device name (NUL-terminated ASCII within 256 bytes). */
    public static String name(MemorySegment prop) {
        MemorySegment field = prop.asSlice(name$OFFSET, 256);
        int len = 0;
        while (len < 256 && field.get(JAVA_BYTE, len) != 0) len++;
        byte[] b = new byte[len];
        MemorySegment.copy(field, JAVA_BYTE, 0, b, 0, len);
        return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
    }

    public static long totalGlobalMem(MemorySegment prop) {
        return prop.get(JAVA_LONG, totalGlobalMem$OFFSET);
    }

    /** The 16-byte UUID as nvidia-smi prints it ({@code GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}). */
    public static String uuid(MemorySegment prop) {
        StringBuilder sb = new StringBuilder("GPU-");
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10) sb.append('-');
            sb.append(String.format("%02x", prop.get(JAVA_BYTE, uuid$OFFSET + i) & 0xff));
        }
        return sb.toString();
    }
}
