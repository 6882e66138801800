package dev.clipengine.weights.torch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes zip files byte by byte (local headers, data, central directory, end record), with hooks
 * to lie: declared sizes, CRCs, entry counts, offsets.
 */
final class ZipBuilder {

    static final class Entry {
        final String name;
        final byte[] data;
        final boolean deflate;
        long declaredSize = -1;
        Integer crc;
        long lhoOverride = -1;
        long zip64Size = -1;

        Entry(String name, byte[] data, boolean deflate) {
            this.name = name;
            this.data = data;
            this.deflate = deflate;
        }

        Entry declaredSize(long n) {
            declaredSize = n;
            return this;
        }

        Entry crc(int c) {
            crc = c;
            return this;
        }

        /** Declares {@code n} bytes through a ZIP64 extra field in the central directory (sizes saturated). */
        Entry zip64Size(long n) {
            zip64Size = n;
            return this;
        }

        Entry localHeaderAt(long offset) {
            lhoOverride = offset;
            return this;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    Integer declaredCount;
    /** Bytes written after the end record. */
    byte[] trailer = new byte[0];

    Entry stored(String name, byte[] data) {
        Entry e = new Entry(name, data, false);
        entries.add(e);
        return e;
    }

    Entry deflated(String name, byte[] data) {
        Entry e = new Entry(name, data, true);
        entries.add(e);
        return e;
    }

    byte[] build() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream cd = new ByteArrayOutputStream();
        for (Entry e : entries) {
            byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
            byte[] body = e.deflate ? deflate(e.data) : e.data;
            CRC32 c = new CRC32();
            c.update(e.data);
            int crc = e.crc != null ? e.crc : (int) c.getValue();
            long size = e.declaredSize >= 0 ? e.declaredSize : e.data.length;
            long csize = e.deflate ? body.length : size;
            long lho = out.size();
            le32(out, 0x04034b50); le16(out, 20); le16(out, 0); le16(out, e.deflate ? 8 : 0); le16(out, 0); le16(out, 0);
            le32(out, crc); le32(out, (int) csize); le32(out, (int) size); le16(out, name.length); le16(out, 0);
            out.writeBytes(name);
            out.writeBytes(body);
            boolean z64 = e.zip64Size >= 0;
            le32(cd, 0x02014b50); le16(cd, 45); le16(cd, 45); le16(cd, 0); le16(cd, e.deflate ? 8 : 0); le16(cd, 0); le16(cd, 0);
            le32(cd, crc); le32(cd, z64 ? -1 : (int) csize); le32(cd, z64 ? -1 : (int) size); le16(cd, name.length);
            le16(cd, z64 ? 20 : 0); le16(cd, 0);
            le16(cd, 0); le16(cd, 0); le32(cd, 0); le32(cd, (int) (e.lhoOverride >= 0 ? e.lhoOverride : lho));
            cd.writeBytes(name);
            if (z64) { // extra field 1: uncompressed then compressed size, 8 bytes each
                le16(cd, 1); le16(cd, 16);
                for (long v : new long[] {e.zip64Size, csize}) for (int i = 0; i < 8; i++) cd.write((int) (v >>> (8 * i)));
            }
        }
        long cdOffset = out.size();
        out.writeBytes(cd.toByteArray());
        int count = declaredCount != null ? declaredCount : entries.size();
        le32(out, 0x06054b50); le16(out, 0); le16(out, 0); le16(out, count); le16(out, count);
        le32(out, cd.size()); le32(out, (int) cdOffset); le16(out, 0);
        out.writeBytes(trailer);
        return out.toByteArray();
    }

    Path write(Path file) throws IOException {
        return Files.write(file, build());
    }

    static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(9, true);
        d.setInput(data);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        while (!d.finished()) out.write(buf, 0, d.deflate(buf));
        d.end();
        return out.toByteArray();
    }

    private static void le16(ByteArrayOutputStream o, int v) {
        o.write(v);
        o.write(v >>> 8);
    }

    private static void le32(ByteArrayOutputStream o, int v) {
        for (int i = 0; i < 4; i++) o.write(v >>> (8 * i));
    }
}
