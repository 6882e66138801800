package dev.clipengine.weights.torch;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes pickle opcodes byte by byte, so tests can build any pickle, well-formed or hostile. */
final class PickleBuilder {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBuilder op(int opcode) {
        out.write(opcode);
        return this;
    }

    PickleBuilder bytes(byte... b) {
        out.writeBytes(b);
        return this;
    }

    PickleBuilder proto(int v) {
        return op(0x80).op(v);
    }

    PickleBuilder global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    /** BINUNICODE. */
    PickleBuilder str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X').le32(b.length);
        out.writeBytes(b);
        return this;
    }

    /** The smallest int opcode for {@code v} (BININT1, BININT2 or BININT). */
    PickleBuilder integer(long v) {
        if (v >= 0 && v < 256) return op('K').op((int) v);
        if (v >= 0 && v < 65536) return op('M').op((int) v & 0xff).op((int) (v >> 8));
        if (v == (int) v) return op('J').le32((int) v);
        op(0x8a).op(8); // LONG1, 8 bytes two's complement
        for (int i = 0; i < 8; i++) op((int) (v >>> (8 * i)) & 0xff);
        return this;
    }

    PickleBuilder le32(int v) {
        for (int i = 0; i < 4; i++) out.write(v >>> (8 * i));
        return this;
    }

    PickleBuilder le64(long v) {
        for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }

    PickleBuilder mark() {
        return op('(');
    }

    PickleBuilder tuple() {
        return op('t');
    }

    PickleBuilder reduce() {
        return op('R');
    }

    PickleBuilder stop() {
        return op('.');
    }

    /** A tuple of ints: MARK ints TUPLE. */
    PickleBuilder ints(long... v) {
        mark();
        for (long x : v) integer(x);
        return tuple();
    }

    /**
     * {@code torch._utils._rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset,
     * size, stride, False, OrderedDict())}, as torch.save writes it.
     */
    PickleBuilder tensor(String storageType, String key, long numel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        mark();
        mark().str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).tuple().op('Q');
        integer(offset).ints(size).ints(stride).op(0x89);
        global("collections", "OrderedDict").op(')').reduce();
        return tuple().reduce();
    }

    byte[] build() {
        return out.toByteArray();
    }
}
