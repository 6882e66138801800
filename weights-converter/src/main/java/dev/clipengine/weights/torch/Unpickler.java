package dev.clipengine.weights.torch;

import dev.clipengine.weights.torch.PyValues.PyBytes;
import dev.clipengine.weights.torch.PyValues.PySet;
import dev.clipengine.weights.torch.PyValues.PyTuple;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted pickle machine (protocols 0 to 5, the opcodes PyTorch and TorchScript write). It
 * only builds data: every GLOBAL is handed to {@link Semantics#global}, which refuses anything
 * outside its whitelist by name, and REDUCE/NEWOBJ/BUILD/BINPERSID are likewise delegated, so no
 * pickle can make this class do anything but allocate bounded data.
 *
 * <p>Bounds (from {@link TorchLimits}): stack items, memo entries, open MARKs; every length field is
 * checked against the bytes actually left before anything is allocated; textual numbers are at most
 * {@value #MAX_TEXT_NUMBER} characters (Python's int parsing is quadratic, ours must not be);
 * {@code LONG1}/{@code LONG4} at most {@value #MAX_LONG_BYTES} bytes. Dict keys and set elements
 * must be scalars or tuples of scalars, so hashing can never recurse through a cyclic structure
 * (pickles can build cycles through the memo). The opcodes that call arbitrary classes by name
 * (INST, OBJ) and the extension registry (EXT1/2/4) are refused: PyTorch never writes them.
 *
 * <p>Work: every opcode, byte copied, container item and element a whitelisted call returns is
 * charged to a {@link WorkBudget} proportional to the pickle's own length, so the time and memory
 * any pickle can cost are linear in its size, whatever it memoises and references again.
 */
public final class Unpickler {

    /** What the pickle's references to the outside world mean; the whitelist lives here. */
    public interface Semantics {
        /** The value of {@code GLOBAL module name}; throw to refuse it. */
        Object global(String module, String name) throws PickleException;

        /** {@code callable(*args)} for REDUCE. */
        Object reduce(Object callable, PyTuple args) throws PickleException;

        /** {@code cls.__new__(cls, *args)} for NEWOBJ / NEWOBJ_EX. */
        Object newObject(Object cls, PyTuple args) throws PickleException;

        /** BUILD: applies {@code state} to {@code obj}; returns the object to leave on the stack. */
        Object build(Object obj, Object state) throws PickleException;

        /** BINPERSID / PERSID. */
        Object persistentLoad(Object pid) throws PickleException;
    }

    static final int MAX_TEXT_NUMBER = 64;
    static final int MAX_LONG_BYTES = 64;
    private static final int MAX_LINE = 1024;

    private final byte[] in;
    private final Semantics sem;
    private final TorchLimits limits;
    private final WorkBudget work;
    private int pos;
    private int opStart;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();

    private Unpickler(byte[] in, Semantics sem, TorchLimits limits) {
        this.in = in;
        this.sem = sem;
        this.limits = limits;
        this.work = WorkBudget.forPickle(in.length);
    }

    /** Runs the pickle in {@code data} to its STOP and returns the result. */
    public static Object load(byte[] data, Semantics semantics, TorchLimits limits) throws PickleException {
        Unpickler u = new Unpickler(data, semantics, limits);
        try {
            return u.run();
        } catch (PickleException e) {
            throw new PickleException("at byte " + u.opStart + ": " + e.getMessage());
        }
    }

    private Object run() throws PickleException {
        while (true) {
            opStart = pos;
            work.charge(1);
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v > 5) throw new PickleException("pickle protocol " + v + " is newer than 5");
                }
                case 0x95 -> u64len(); // FRAME: a read-ahead hint; its length must only fit
                case '.' -> { // STOP
                    if (stack.size() != 1 || markCount != 0) {
                        throw new PickleException("STOP with " + stack.size() + " stack items and " + markCount + " open marks");
                    }
                    return stack.get(0);
                }
                case '(' -> { // MARK
                    if (markCount == limits.maxMarks()) throw new PickleException("more than " + limits.maxMarks() + " nested MARKs");
                    if (markCount == marks.length) marks = Arrays.copyOf(marks, marks.length * 2);
                    marks[markCount++] = stack.size();
                }
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'I' -> push(parseInt(line()));
                case 'J' -> push((long) i32());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) u16());
                case 'L' -> push(parseLong(line()));
                case 0x8a -> push(littleLong(u8())); // LONG1
                case 0x8b -> push(littleLong(i32())); // LONG4
                case 'F' -> push(parseFloat(line()));
                case 'G' -> push(Double.longBitsToDouble(beLong())); // BINFLOAT
                case 'T' -> push(latin1(bytes(i32len()))); // BINSTRING (py2 str)
                case 'U' -> push(latin1(bytes(u8()))); // SHORT_BINSTRING
                case 'X' -> push(utf8(bytes(i32len()))); // BINUNICODE
                case 0x8c -> push(utf8(bytes(u8()))); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(bytes(u64len()))); // BINUNICODE8
                case 'B' -> push(new PyBytes(bytes(i32len()))); // BINBYTES
                case 'C' -> push(new PyBytes(bytes(u8()))); // SHORT_BINBYTES
                case 0x8e, 0x96 -> push(new PyBytes(bytes(u64len()))); // BINBYTES8, BYTEARRAY8
                case ']' -> push(new ArrayList<>());
                case 'l' -> push(new ArrayList<>(popMark()));
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peek(), "APPEND").add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    list(peek(), "APPENDS").addAll(items);
                    work.charge(items.size());
                }
                case ')' -> push(new PyTuple(List.of()));
                case 't' -> push(new PyTuple(popMark()));
                case 0x85 -> push(new PyTuple(Arrays.asList(pop())));
                case 0x86 -> {
                    Object b = pop(), a = pop();
                    push(new PyTuple(Arrays.asList(a, b)));
                }
                case 0x87 -> {
                    Object c = pop(), b = pop(), a = pop();
                    push(new PyTuple(Arrays.asList(a, b, c)));
                }
                case '}' -> push(new LinkedHashMap<>());
                case 'd' -> push(putAll(new LinkedHashMap<>(), popMark()));
                case 's' -> { // SETITEM
                    Object v = pop(), k = pop();
                    dict(peek(), "SETITEM").put(key(k, 0), v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> kv = popMark();
                    putAll(dict(peek(), "SETITEMS"), kv);
                }
                case 0x8f -> push(new PySet(new ArrayList<>())); // EMPTY_SET
                case 0x90 -> { // ADDITEMS
                    List<Object> items = popMark();
                    if (!(peek() instanceof PySet s)) throw new PickleException("ADDITEMS on a " + PyValues.typeName(peek()));
                    for (Object o : items) s.items().add(key(o, 0));
                }
                case 0x91 -> { // FROZENSET
                    List<Object> items = popMark();
                    for (Object o : items) key(o, 0);
                    push(new PySet(new ArrayList<>(items)));
                }
                case 'p' -> memoPut(parseIndex(line()));
                case 'q' -> memoPut(u8());
                case 'r' -> memoPut(u32());
                case 0x94 -> memoPut(memo.size()); // MEMOIZE
                case 'g' -> push(memoGet(parseIndex(line())));
                case 'h' -> push(memoGet(u8()));
                case 'j' -> push(memoGet(u32()));
                case 'c' -> { // GLOBAL
                    String module = ascii(line());
                    String name = ascii(line());
                    push(sem.global(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw new PickleException("STACK_GLOBAL needs two strings");
                    }
                    push(sem.global(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop(), fn = pop();
                    if (!(args instanceof PyTuple t)) throw new PickleException("REDUCE arguments are a " + PyValues.typeName(args) + ", not a tuple");
                    push(charged(sem.reduce(fn, chargedArgs(t))));
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop(), cls = pop();
                    if (!(args instanceof PyTuple t)) throw new PickleException("NEWOBJ arguments are not a tuple");
                    push(charged(sem.newObject(cls, chargedArgs(t))));
                }
                case 0x92 -> { // NEWOBJ_EX
                    Object kwargs = pop(), args = pop(), cls = pop();
                    if (!(args instanceof PyTuple t) || !(kwargs instanceof Map<?, ?> kw) || !kw.isEmpty()) {
                        throw new PickleException("NEWOBJ_EX with keyword arguments is not supported");
                    }
                    push(charged(sem.newObject(cls, chargedArgs(t))));
                }
                case 'b' -> { // BUILD
                    Object state = pop(), obj = pop();
                    push(charged(sem.build(obj, state)));
                }
                case 'Q' -> push(sem.persistentLoad(pop())); // BINPERSID
                case 'P' -> push(sem.persistentLoad(ascii(line()))); // PERSID
                case 'S', 'V' -> throw new PickleException("protocol-0 string opcode '" + (char) op + "' is not used by PyTorch");
                case 'i', 'o' -> throw new PickleException("opcode '" + (char) op + "' (INST/OBJ) calls classes by name and is refused");
                case 0x82, 0x83, 0x84 -> throw new PickleException("extension-registry opcodes (EXT1/2/4) are refused");
                case 0x97, 0x98 -> throw new PickleException("out-of-band buffers (protocol 5) are not supported");
                default -> throw new PickleException(String.format("unknown opcode 0x%02x", op));
            }
        }
    }

    // ---------------------------------------------------------------- stack, marks, memo

    private void push(Object o) throws PickleException {
        if (stack.size() >= limits.maxStack()) throw new PickleException("stack grows past " + limits.maxStack() + " items");
        stack.add(o);
    }

    private Object pop() throws PickleException {
        int floor = markCount == 0 ? 0 : marks[markCount - 1];
        if (stack.size() <= floor) throw new PickleException("stack underflow");
        return stack.remove(stack.size() - 1);
    }

    private Object peek() throws PickleException {
        int floor = markCount == 0 ? 0 : marks[markCount - 1];
        if (stack.size() <= floor) throw new PickleException("stack underflow");
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() throws PickleException {
        if (markCount == 0) throw new PickleException("no MARK to pop to");
        int at = marks[--markCount];
        List<Object> sub = stack.subList(at, stack.size());
        work.charge(2L * sub.size()); // copied here, and once more into the container built from them
        List<Object> items = new ArrayList<>(sub);
        sub.clear();
        return items;
    }

    /**
     * Charges what a whitelisted call returned, in elements: a call may return (or iterate) a memoised
     * container or string of any size, and memo references cost one opcode each, so without this a
     * small pickle could call {@code OrderedDict} or {@code _codecs.encode} on the same million-item
     * value a million times.
     */
    private Object charged(Object result) throws PickleException {
        work.charge(PyValues.sizeOf(result));
        return result;
    }

    /** Charges a call's arguments before it runs: the call may iterate or copy each of them once. */
    private PyTuple chargedArgs(PyTuple args) throws PickleException {
        for (Object a : args.items()) work.charge(PyValues.sizeOf(a));
        return args;
    }

    private void memoPut(long index) throws PickleException {
        if (!memo.containsKey(index) && memo.size() >= limits.maxMemo()) {
            throw new PickleException("memo grows past " + limits.maxMemo() + " entries");
        }
        memo.put(index, peek());
    }

    private Object memoGet(long index) throws PickleException {
        if (!memo.containsKey(index)) throw new PickleException("memo key " + index + " was never stored");
        return memo.get(index);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, String op) throws PickleException {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw new PickleException(op + " on a " + PyValues.typeName(o));
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o, String op) throws PickleException {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw new PickleException(op + " on a " + PyValues.typeName(o));
    }

    private static Map<Object, Object> putAll(Map<Object, Object> d, List<Object> kv) throws PickleException {
        if (kv.size() % 2 != 0) throw new PickleException("odd number of items for a dict");
        for (int i = 0; i < kv.size(); i += 2) d.put(key(kv.get(i), 0), kv.get(i + 1));
        return d;
    }

    /** Dict keys and set elements: scalars, or tuples of them a few levels deep (hashing stays bounded). */
    private static Object key(Object k, int depth) throws PickleException {
        if (k == null || k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Double
                || k instanceof BigInteger) {
            return k;
        }
        if (k instanceof PyTuple t && depth < 4) {
            for (Object o : t.items()) key(o, depth + 1);
            return k;
        }
        throw new PickleException("unsupported dict key or set element: " + PyValues.typeName(k));
    }

    // ---------------------------------------------------------------- reading

    private int u8() throws PickleException {
        if (pos >= in.length) throw new PickleException("truncated pickle (no STOP)");
        return in[pos++] & 0xff;
    }

    private int u16() throws PickleException {
        need(2);
        int v = (in[pos] & 0xff) | (in[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    private int i32() throws PickleException {
        need(4);
        int v = (in[pos] & 0xff) | (in[pos + 1] & 0xff) << 8 | (in[pos + 2] & 0xff) << 16 | (in[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    private long u32() throws PickleException {
        return i32() & 0xffffffffL;
    }

    private long i64() throws PickleException {
        need(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | (in[pos + i] & 0xff);
        pos += 8;
        return v;
    }

    private long beLong() throws PickleException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (in[pos + i] & 0xff);
        pos += 8;
        return v;
    }

    /** A signed 4-byte length that must fit in what is left. */
    private int i32len() throws PickleException {
        int n = i32();
        if (n < 0) throw new PickleException("negative length " + n);
        need(n);
        return n;
    }

    /** An 8-byte length that must fit in what is left. */
    private int u64len() throws PickleException {
        long n = i64();
        if (n < 0 || n > in.length - pos) {
            throw new PickleException("length " + Long.toUnsignedString(n) + " runs past the end of the pickle");
        }
        return (int) n;
    }

    private void need(long n) throws PickleException {
        if (n > in.length - pos) throw new PickleException("length " + n + " runs past the end of the pickle (truncated?)");
    }

    private byte[] bytes(int n) throws PickleException {
        need(n);
        work.charge(n);
        byte[] b = Arrays.copyOfRange(in, pos, pos + n);
        pos += n;
        return b;
    }

    private byte[] line() throws PickleException {
        int start = pos;
        while (pos < in.length && in[pos] != '\n') {
            if (pos - start >= MAX_LINE) throw new PickleException("text field longer than " + MAX_LINE + " bytes");
            pos++;
        }
        if (pos >= in.length) throw new PickleException("truncated pickle (unterminated text field)");
        byte[] b = Arrays.copyOfRange(in, start, pos);
        pos++;
        return b;
    }

    private static String utf8(byte[] b) throws PickleException {
        try {
            // surrogatepass is what Python writes for lone surrogates; replacing them is harmless for names
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new PickleException("bad UTF-8 string");
        }
    }

    private static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static String ascii(byte[] b) throws PickleException {
        for (byte x : b) if (x < 0x20 || x > 0x7e) throw new PickleException("non-printable byte in a global or persistent id");
        return new String(b, StandardCharsets.US_ASCII);
    }

    private static Object parseInt(byte[] b) throws PickleException {
        String s = ascii(b).strip();
        if (s.equals("00")) return Boolean.FALSE;
        if (s.equals("01")) return Boolean.TRUE;
        return number(s);
    }

    private static Object parseLong(byte[] b) throws PickleException {
        String s = ascii(b).strip();
        if (s.endsWith("L")) s = s.substring(0, s.length() - 1);
        return number(s);
    }

    private static Object number(String s) throws PickleException {
        if (s.length() > MAX_TEXT_NUMBER || !s.matches("[+-]?\\d+")) {
            throw new PickleException("bad or over-long integer literal (" + Math.min(s.length(), 999) + " chars)");
        }
        BigInteger v = new BigInteger(s);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private static long parseIndex(byte[] b) throws PickleException {
        Object v = number(ascii(b).strip());
        if (!(v instanceof Long l) || l < 0) throw new PickleException("bad memo index");
        return l;
    }

    private static Double parseFloat(byte[] b) throws PickleException {
        String s = ascii(b).strip();
        if (s.length() > MAX_TEXT_NUMBER) throw new PickleException("over-long float literal");
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new PickleException("bad float literal '" + s + "'");
        }
    }

    /** LONG1/LONG4: little-endian two's complement of {@code n} bytes. */
    private Object littleLong(int n) throws PickleException {
        if (n < 0 || n > MAX_LONG_BYTES) throw new PickleException("integer of " + n + " bytes is too long");
        byte[] le = bytes(n);
        if (n == 0) return 0L;
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) be[i] = le[n - 1 - i];
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }
}
