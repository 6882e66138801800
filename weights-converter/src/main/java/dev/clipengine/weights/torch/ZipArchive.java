package dev.clipengine.weights.torch;

import dev.clipengine.weights.WeightsFormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A zip file mapped read-only into memory, as PyTorch writes them ({@code torch.save} since 1.6
 * and TorchScript archives): entries {@code STORED} (the tensor storages, 64-byte aligned) or
 * {@code DEFLATED} (TorchScript code). Stored entries are served as zero-copy slices of the mapping,
 * so a 900 MB checkpoint costs no heap; only small entries (pickles, code) are ever copied.
 *
 * <p>Everything is read from the central directory and checked before use, against a file that may
 * be truncated, bit-flipped or built to hurt: the end record and ZIP64 records must lie inside the
 * file, at most {@link TorchLimits#maxZipEntries()} entries, names bounded and unique, every
 * entry's local header and data inside the part of the file before the central directory, no two
 * entries sharing bytes (the trick of "overlapping" zip bombs), only methods 0 and 8, no encryption,
 * no multi-disk archives. An entry is inflated only up to its declared size, the declared size is
 * capped by the caller, and a stream that inflates to more or fewer bytes than declared, or whose
 * CRC-32 differs from the directory's, is an error; so a zip bomb costs at most what the caller
 * allowed. Every problem is a one-line {@link WeightsFormatException} naming the file.
 */
public final class ZipArchive implements AutoCloseable {

    /** One entry of the central directory, with the offset of its data resolved through the local header. */
    public record Entry(String name, int method, long compressedSize, long size, long dataOffset, int crc32) {
        public boolean stored() {
            return method == STORED;
        }
    }

    static final int STORED = 0;
    static final int DEFLATED = 8;
    private static final int SIG_LOCAL = 0x04034b50;
    private static final int SIG_CENTRAL = 0x02014b50;
    private static final int SIG_END = 0x06054b50;
    private static final int SIG_END64 = 0x06064b50;
    private static final int SIG_LOCATOR64 = 0x07064b50;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Entry names longer than this are not something PyTorch writes. */
    static final int MAX_NAME = 4096;
    /** Deflate's largest possible expansion (a 258-byte match per 2 bits of output, rounded up). */
    static final long MAX_DEFLATE_RATIO = 1032;
    /** Chunk for CRC and inflation of large entries (ByteBuffer views are int-sized). */
    private static final int CHUNK = 1 << 24;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final Map<String, Entry> entries;

    private ZipArchive(Path path, Arena arena, MemorySegment file, Map<String, Entry> entries) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.entries = entries;
    }

    /** True when the first four bytes are a zip local-file or end record signature. */
    public static boolean looksLikeZip(byte[] head) {
        if (head.length < 4) return false;
        int sig = (head[0] & 0xff) | (head[1] & 0xff) << 8 | (head[2] & 0xff) << 16 | (head[3] & 0xff) << 24;
        return sig == SIG_LOCAL || sig == SIG_END;
    }

    /** Maps {@code path} and reads its central directory. */
    public static ZipArchive open(Path path, TorchLimits limits) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            Map<String, Entry> entries = new Reader(path, file, limits).read();
            return new ZipArchive(path, arena, file, entries);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** Size of the archive file in bytes. */
    public long fileSize() {
        return file.byteSize();
    }

    /** All entries by name, in central-directory order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    public Entry entry(String name) {
        return entries.get(name);
    }

    /** The bytes of a stored entry, zero-copy (valid until {@link #close()}); CRC not checked here. */
    public MemorySegment storedData(Entry e) {
        if (!e.stored()) throw new IllegalArgumentException(e.name() + " is not stored");
        return file.asSlice(e.dataOffset(), e.size());
    }

    /**
     * A small entry's bytes on the heap (pickles, code). Refused when it declares more than
     * {@code maxBytes}; inflation stops at the declared size; the CRC-32 is checked.
     */
    public byte[] readBytes(Entry e, long maxBytes) throws WeightsFormatException {
        if (e.size() > maxBytes) {
            throw problem("entry '" + e.name() + "' declares " + e.size() + " bytes, more than the " + maxBytes
                    + "-byte limit for it");
        }
        byte[] out = new byte[(int) e.size()];
        MemorySegment dst = MemorySegment.ofArray(out);
        if (e.stored()) {
            MemorySegment.copy(storedData(e), 0, dst, 0, e.size());
        } else {
            inflate(e, dst);
        }
        checkCrc(e, dst);
        return out;
    }

    /** A deflated entry inflated into {@code arena} (exactly its declared size), CRC checked. */
    public MemorySegment inflate(Entry e, Arena into) throws WeightsFormatException {
        MemorySegment dst = into.allocate(Math.max(1, e.size()), 64).asSlice(0, e.size());
        inflate(e, dst);
        checkCrc(e, dst);
        return dst;
    }

    /** Checks the CRC-32 of a stored entry against the directory (catches bit flips in tensor data). */
    public void checkStoredCrc(Entry e) throws WeightsFormatException {
        checkCrc(e, storedData(e));
    }

    private void inflate(Entry e, MemorySegment dst) throws WeightsFormatException {
        Inflater inf = new Inflater(true);
        try {
            MemorySegment src = file.asSlice(e.dataOffset(), e.compressedSize());
            long in = 0, out = 0;
            while (out < e.size()) {
                if (inf.needsInput()) {
                    if (in == src.byteSize()) break;
                    long n = Math.min(CHUNK, src.byteSize() - in);
                    inf.setInput(src.asSlice(in, n).asByteBuffer());
                    in += n;
                }
                ByteBuffer b = dst.asSlice(out, Math.min(CHUNK, e.size() - out)).asByteBuffer();
                int got = inf.inflate(b);
                out += got;
                if (got == 0 && (inf.finished() || inf.needsDictionary())) break;
            }
            if (out < e.size()) {
                throw problem("entry '" + e.name() + "' inflates to " + out + " bytes, fewer than the " + e.size() + " declared");
            }
            if (!inf.finished()) {
                // more output is pending (or the stream is broken): never write past the declared size
                byte[] probe = new byte[1];
                if (inf.needsInput() && in < src.byteSize()) inf.setInput(src.asSlice(in).asByteBuffer());
                if (inf.inflate(probe) > 0) {
                    throw problem("entry '" + e.name() + "' inflates to more than its declared " + e.size()
                            + " bytes (zip bomb?)");
                }
            }
        } catch (DataFormatException ex) {
            throw problem("entry '" + e.name() + "' is not valid deflate data (" + ex.getMessage() + ")");
        } finally {
            inf.end();
        }
    }

    private void checkCrc(Entry e, MemorySegment data) throws WeightsFormatException {
        CRC32 crc = new CRC32();
        for (long at = 0; at < data.byteSize(); at += CHUNK) {
            crc.update(data.asSlice(at, Math.min(CHUNK, data.byteSize() - at)).asByteBuffer());
        }
        if ((int) crc.getValue() != e.crc32()) {
            throw problem("entry '" + e.name() + "' is damaged (CRC-32 " + String.format("%08x", (int) crc.getValue())
                    + ", the zip directory says " + String.format("%08x", e.crc32()) + ")");
        }
    }

    private WeightsFormatException problem(String what) {
        return new WeightsFormatException(path, what);
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    // =====================================================================================

    /** Parses the end records and the central directory. */
    private static final class Reader {
        final Path path;
        final MemorySegment f;
        final long size;
        final TorchLimits limits;

        Reader(Path path, MemorySegment f, TorchLimits limits) {
            this.path = path;
            this.f = f;
            this.size = f.byteSize();
            this.limits = limits;
        }

        WeightsFormatException bad(String what) {
            return new WeightsFormatException(path, "broken zip archive: " + what);
        }

        Map<String, Entry> read() throws WeightsFormatException {
            long eocd = findEnd();
            int disk = u16(eocd + 4), cdDisk = u16(eocd + 6);
            long count = u16(eocd + 10);
            long cdSize = u32(eocd + 12), cdOffset = u32(eocd + 16);
            long cdLimit = eocd; // the central directory ends before the end record(s)
            if (count == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
                long loc = eocd - 20;
                if (loc < 0 || u32i(loc) != SIG_LOCATOR64) throw bad("ZIP64 sizes without a ZIP64 locator");
                long end64 = u64(loc + 8);
                if (end64 < 0 || end64 > loc - 56) throw bad("ZIP64 end record offset " + end64 + " is outside the file");
                if (u32i(end64) != SIG_END64) throw bad("no ZIP64 end record at offset " + end64);
                disk = (int) u32(end64 + 16);
                cdDisk = (int) u32(end64 + 20);
                count = u64(end64 + 32);
                cdSize = u64(end64 + 40);
                cdOffset = u64(end64 + 48);
                cdLimit = end64;
            }
            if (disk != 0 || cdDisk != 0) throw bad("multi-disk archives are not supported");
            if (count < 0 || count > limits.maxZipEntries()) {
                throw bad("declares " + Long.toUnsignedString(count) + " entries, more than the limit of " + limits.maxZipEntries());
            }
            if (cdOffset < 0 || cdSize < 0 || cdOffset > cdLimit || cdSize > cdLimit - cdOffset) {
                throw bad("central directory [" + cdOffset + ", +" + cdSize + ") is outside the file of " + size
                        + " bytes (truncated?)");
            }
            Map<String, Entry> out = new LinkedHashMap<>();
            List<long[]> ranges = new ArrayList<>();
            long p = cdOffset, cdEnd = cdOffset + cdSize;
            for (long i = 0; i < count; i++) {
                if (p > cdEnd - 46) throw bad("central directory ends inside entry " + i);
                if (u32i(p) != SIG_CENTRAL) throw bad("central directory entry " + i + " has a bad signature");
                int flags = u16(p + 8), method = u16(p + 10);
                int crc = u32i(p + 16);
                long csize = u32(p + 20), usize = u32(p + 24);
                int nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32);
                long lho = u32(p + 42);
                long next = p + 46 + nameLen + extraLen + commentLen;
                if (next > cdEnd) throw bad("central directory entry " + i + " runs past the directory");
                if (nameLen == 0 || nameLen > MAX_NAME) throw bad("entry " + i + " has a name of " + nameLen + " bytes");
                String name = new String(f.asSlice(p + 46, nameLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                // ZIP64 extra field: the 8-byte values for the fields saturated above, in this order
                if (usize == 0xffffffffL || csize == 0xffffffffL || lho == 0xffffffffL) {
                    long x = p + 46 + nameLen, xEnd = x + extraLen;
                    boolean found = false;
                    while (x + 4 <= xEnd) {
                        int id = u16(x), len = u16(x + 2);
                        if (x + 4 + len > xEnd) break;
                        if (id == 1) {
                            long q = x + 4, qEnd = q + len;
                            if (usize == 0xffffffffL) { usize = need8(q, qEnd, name); q += 8; }
                            if (csize == 0xffffffffL) { csize = need8(q, qEnd, name); q += 8; }
                            if (lho == 0xffffffffL) { lho = need8(q, qEnd, name); }
                            found = true;
                            break;
                        }
                        x += 4 + len;
                    }
                    if (!found) throw bad("entry '" + name + "' has saturated sizes but no ZIP64 extra field");
                }
                if ((flags & 1) != 0) throw bad("entry '" + name + "' is encrypted");
                if (method != STORED && method != DEFLATED) {
                    throw bad("entry '" + name + "' uses compression method " + method + " (only stored and deflate are supported)");
                }
                if (usize < 0 || csize < 0 || lho < 0) throw bad("entry '" + name + "' has sizes or an offset beyond 2^63");
                if (method == DEFLATED && usize > MAX_DEFLATE_RATIO * csize + 1024) {
                    // checked before anything is allocated for it: a 100-byte stream cannot make 8 GiB
                    throw bad("deflated entry '" + name + "' declares " + usize + " bytes from " + csize
                            + " compressed bytes, more than deflate can produce (at most " + MAX_DEFLATE_RATIO + ":1)");
                }
                if (method == STORED && csize != usize) {
                    throw bad("stored entry '" + name + "' has compressed size " + csize + " but size " + usize);
                }
                if (lho > cdOffset - 30) throw bad("entry '" + name + "' has its local header at " + lho + ", outside the data area");
                if (u32i(lho) != SIG_LOCAL) throw bad("entry '" + name + "' has no local header at offset " + lho);
                long data = lho + 30 + u16(lho + 26) + u16(lho + 28);
                if (data > cdOffset || csize > cdOffset - data) {
                    throw bad("entry '" + name + "' data [" + data + ", +" + csize + ") runs past the data area of "
                            + cdOffset + " bytes (truncated?)");
                }
                if (out.containsKey(name)) throw bad("entry name '" + name + "' appears twice");
                out.put(name, new Entry(name, method, csize, usize, data, crc));
                ranges.add(new long[] {lho, data + csize, out.size() - 1});
                p = next;
            }
            checkOverlaps(ranges, new ArrayList<>(out.keySet()));
            return Collections.unmodifiableMap(out);
        }

        long need8(long q, long qEnd, String name) throws WeightsFormatException {
            if (q + 8 > qEnd) throw bad("entry '" + name + "' has a short ZIP64 extra field");
            return u64(q);
        }

        void checkOverlaps(List<long[]> ranges, List<String> names) throws WeightsFormatException {
            ranges.sort((a, b) -> Long.compare(a[0], b[0]));
            for (int i = 1; i < ranges.size(); i++) {
                long[] prev = ranges.get(i - 1), cur = ranges.get(i);
                if (cur[0] < prev[1]) {
                    throw bad("entries '" + names.get((int) prev[2]) + "' and '" + names.get((int) cur[2])
                            + "' share bytes (overlapping entries, a zip-bomb technique)");
                }
            }
        }

        /** The end-of-central-directory record: the last signature within the final 64 KiB + 22 bytes. */
        long findEnd() throws WeightsFormatException {
            if (size < 22) throw bad("file of " + size + " bytes is too short for a zip end record");
            long stop = Math.max(0, size - 22 - 0xffff);
            for (long p = size - 22; p >= stop; p--) {
                if (f.get(ValueLayout.JAVA_BYTE, p) == 0x50 && u32i(p) == SIG_END && p + 22 + u16(p + 20) <= size) {
                    long junk = size - (p + 22 + u16(p + 20));
                    // PyTorch never writes past the end record: bytes there mean a damaged or concatenated file
                    if (junk > 0) throw bad(junk + " bytes follow the end-of-central-directory record (appended data?)");
                    return p;
                }
            }
            throw bad("no end-of-central-directory record (truncated or not a zip)");
        }

        int u16(long at) {
            return f.get(U16, at) & 0xffff;
        }

        long u32(long at) {
            return f.get(U32, at) & 0xffffffffL;
        }

        int u32i(long at) {
            return f.get(U32, at);
        }

        long u64(long at) {
            return f.get(U64, at);
        }
    }
}
