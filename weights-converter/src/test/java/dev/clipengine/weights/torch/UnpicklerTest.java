package dev.clipengine.weights.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.weights.DType;
import dev.clipengine.weights.torch.PyValues.PyTuple;
import dev.clipengine.weights.torch.TorchGlobals.TensorRef;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The restricted unpickler on pickles written opcode by opcode (the bytes Python's pickle writes). */
class UnpicklerTest {

    static Object load(byte[] p) throws PickleException {
        return Unpickler.load(p, new TorchGlobals(TorchLimits.DEFAULT), TorchLimits.DEFAULT);
    }

    static String refused(byte[] p) {
        return refused(p, TorchLimits.DEFAULT);
    }

    static String refused(byte[] p, TorchLimits limits) {
        PickleException e = assertThrows(PickleException.class, () -> Unpickler.load(p, new TorchGlobals(limits), limits));
        assertTrue(e.getMessage().startsWith("at byte "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void plainData() throws PickleException {
        // pickle.dumps({'a': [1, 300, -2, 2**40], 'b': (None, True, 1.5), 'c': 'é'}, protocol=2)
        byte[] p = new PickleBuilder().proto(2).op('}').op('q').op(0).mark()
                .str("a").op(']').mark().integer(1).integer(300).op('J').le32(-2)
                .op(0x8a).op(6).bytes((byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 1).op('e')
                .str("b").op('N').op(0x88).op('G').bytes((byte) 0x3f, (byte) 0xf8, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0).op(0x87)
                .str("c").op('X').le32(2).bytes((byte) 0xc3, (byte) 0xa9)
                .op('u').stop().build();
        Map<?, ?> m = (Map<?, ?>) load(p);
        assertEquals(List.of(1L, 300L, -2L, 1L << 40), m.get("a"));
        assertEquals(new PyTuple(Arrays.asList(null, true, 1.5)), m.get("b"));
        assertEquals("é", m.get("c"));
    }

    @Test
    void protocol4FramesMemoizeAndStackGlobal() throws PickleException {
        // FRAME n; SHORT_BINUNICODE 'collections' MEMOIZE 'OrderedDict' MEMOIZE STACK_GLOBAL ) R
        byte[] p = new PickleBuilder().proto(4).op(0x95).le64(30)
                .op(0x8c).op(11).bytes("collections".getBytes()).op(0x94)
                .op(0x8c).op(11).bytes("OrderedDict".getBytes()).op(0x94)
                .op(0x93).op(0x94).op(')').reduce().op(0x94)
                .op(0x8c).op(1).bytes((byte) 'k').op('h').op(3).op('s') // d['k'] = d (a cycle through the memo)
                .stop().build();
        Map<?, ?> m = (Map<?, ?>) load(p);
        assertSame(m, m.get("k"));
    }

    @Test
    void bigIntegersStayExact() throws PickleException {
        byte[] p = new PickleBuilder().proto(2).op(0x8a).op(9).bytes(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 1}).stop().build();
        assertEquals(BigInteger.ONE.shiftLeft(64), load(p));
        byte[] neg = new PickleBuilder().proto(2).op(0x8a).op(1).bytes((byte) 0xff).stop().build();
        assertEquals(-1L, load(neg));
    }

    @Test
    void aTensorIsAViewOfAPersistentStorage() throws PickleException {
        byte[] p = new PickleBuilder().proto(2)
                .tensor("HalfStorage", "7", 12, 2, new long[] {3, 2}, new long[] {1, 3}).stop().build();
        TensorRef t = (TensorRef) load(p);
        assertEquals(DType.F16, t.storage().dtype());
        assertEquals("7", t.storage().key());
        assertEquals(12, t.storage().numel());
        assertEquals(2, t.offset());
        assertEquals(List.of(3L, 2L), Arrays.stream(t.shape()).boxed().toList());
        assertEquals(List.of(1L, 3L), Arrays.stream(t.stride()).boxed().toList());
    }

    // ------------------------------------------------------------------ code execution is refused by name

    @Test
    void osSystemIsRefusedByName() {
        // the classic: cos\nsystem\n(S'echo pwned'\ntR.
        byte[] p = new PickleBuilder().proto(2).global("os", "system").mark().str("echo pwned").tuple().reduce().stop().build();
        String m = refused(p);
        assertTrue(m.contains("global 'os.system' is not allowed"), m);
        assertTrue(m.startsWith("at byte 2:"), m); // refused at the GLOBAL, before any argument is read
        for (String[] g : new String[][] {{"posix", "system"}, {"builtins", "eval"}, {"builtins", "exec"},
                {"subprocess", "Popen"}, {"torch", "load"}, {"torch._utils", "_rebuild_device_tensor_from_numpy"},
                {"numpy.core.multiarray", "_reconstruct"}, {"__builtin__", "getattr"}}) {
            String r = refused(new PickleBuilder().proto(2).global(g[0], g[1]).stop().build());
            assertTrue(r.contains("global '" + g[0] + "." + g[1] + "' is not allowed"), r);
        }
    }

    @Test
    void stackGlobalAndWholeModelPicklesAreRefusedToo() {
        byte[] p = new PickleBuilder().proto(4).op(0x8c).op(2).bytes("os".getBytes()).op(0x8c).op(6)
                .bytes("system".getBytes()).op(0x93).stop().build();
        assertTrue(refused(p).contains("'os.system' is not allowed"));
        String m = refused(new PickleBuilder().proto(2).global("torch.nn.modules.linear", "Linear").stop().build());
        assertTrue(m.contains("save model.state_dict() instead"), m);
    }

    @Test
    void opcodesThatCallByNameAreRefused() {
        assertTrue(refused(new PickleBuilder().mark().bytes("ios\nsystem\n".getBytes()).stop().build()).contains("INST/OBJ"));
        assertTrue(refused(new PickleBuilder().proto(2).op(0x82).op(1).stop().build()).contains("EXT1/2/4"));
        assertTrue(refused(new PickleBuilder().proto(2).op(0xff).build()).contains("unknown opcode 0xff"));
    }

    @Test
    void whitelistedFunctionsCannotBeMisused() {
        // a storage type is not callable; _codecs.encode only does latin1
        assertTrue(refused(new PickleBuilder().proto(2).global("torch", "FloatStorage").op(')').reduce().stop().build())
                .contains("cannot call"));
        String m = refused(new PickleBuilder().proto(2).global("_codecs", "encode").mark().str("x").str("rot13").tuple()
                .reduce().stop().build());
        assertTrue(m.contains("only allowed as (str, 'latin1')"), m);
    }

    // ------------------------------------------------------------------ malformed and oversized

    @Test
    void lengthsArecheckedBeforeAllocating() {
        // BINUNICODE8 declaring 2^62 bytes, BINBYTES declaring 2 GiB, LONG4 of 1 MiB
        assertTrue(refused(new PickleBuilder().proto(4).op(0x8d).le64(1L << 62).stop().build()).contains("runs past the end"));
        assertTrue(refused(new PickleBuilder().proto(3).op('B').le32(Integer.MAX_VALUE).stop().build()).contains("runs past the end"));
        assertTrue(refused(new PickleBuilder().proto(2).op(0x8b).le32(1 << 20).stop().build()).contains("too long"));
        assertTrue(refused(new PickleBuilder().proto(2).op('X').le32(-5).stop().build()).contains("negative length"));
    }

    @Test
    void hugeDecimalLiteralsAreRefusedFast() {
        byte[] digits = new byte[1000];
        Arrays.fill(digits, (byte) '9');
        byte[] p = new PickleBuilder().op('I').bytes(digits).op('\n').stop().build();
        assertTrue(refused(p).contains("text field longer") || refused(p).contains("over-long integer"));
        byte[] q = new PickleBuilder().op('I').bytes(Arrays.copyOf(digits, 100)).op('\n').stop().build();
        assertTrue(refused(q).contains("over-long integer"), refused(q));
    }

    @Test
    void stackMemoAndMarkLimits() {
        TorchLimits small = TorchLimits.DEFAULT.withStackAndMemo(100, 10, 5);
        PickleBuilder deep = new PickleBuilder().proto(2);
        for (int i = 0; i < 101; i++) deep.op('N');
        assertTrue(refused(deep.stop().build(), small).contains("stack grows past 100"));
        PickleBuilder memo = new PickleBuilder().proto(2).op('N');
        for (int i = 0; i < 11; i++) memo.op('q').op(i);
        assertTrue(refused(memo.stop().build(), small).contains("memo grows past 10"));
        PickleBuilder marks = new PickleBuilder().proto(2);
        for (int i = 0; i < 6; i++) marks.mark();
        assertTrue(refused(marks.stop().build(), small).contains("more than 5 nested MARKs"));
    }

    @Test
    void structuralErrors() {
        assertTrue(refused(new PickleBuilder().proto(2).op('N').build()).contains("truncated pickle"));
        assertTrue(refused(new PickleBuilder().proto(2).op('N').op('N').stop().build()).contains("STOP with 2 stack items"));
        assertTrue(refused(new PickleBuilder().proto(2).op('0').stop().build()).contains("stack underflow"));
        assertTrue(refused(new PickleBuilder().proto(2).op('h').op(9).stop().build()).contains("memo key 9 was never stored"));
        assertTrue(refused(new PickleBuilder().proto(2).op('N').op('a').stop().build()).contains("stack underflow"));
        assertTrue(refused(new PickleBuilder().proto(2).op('N').op('N').op('a').stop().build()).contains("APPEND on a None"));
        assertTrue(refused(new PickleBuilder().proto(9).stop().build()).contains("protocol 9"));
        // a list that contains itself may not be used as a dict key: hashing it would never end
        byte[] cyclicKey = new PickleBuilder().proto(2).op('}').op(']').op('q').op(0).op('h').op(0).op('a').op('N').op('s').stop().build();
        assertTrue(refused(cyclicKey).contains("unsupported dict key"), refused(cyclicKey));
    }

    @Test
    void tensorsOutsideTheirStorageAreRefused() {
        String m = refused(new PickleBuilder().proto(2).tensor("FloatStorage", "0", 6, 1, new long[] {2, 3}, new long[] {3, 1}).stop().build());
        assertTrue(m.contains("reaches past storage '0' of 6 elements"), m);
        m = refused(new PickleBuilder().proto(2).tensor("FloatStorage", "0", 6, 0, new long[] {1L << 40, 1L << 40}, new long[] {1, 1}).stop().build());
        assertTrue(m.contains("reaches past") || m.contains("overflows"), m);
        m = refused(new PickleBuilder().proto(2).tensor("FloatStorage", "../../etc", 6, 0, new long[] {6}, new long[] {1}).stop().build());
        assertTrue(m.contains("bad storage key"), m);
        m = refused(new PickleBuilder().proto(2).tensor("FloatStorage", "0", Long.MAX_VALUE / 2, 0, new long[] {6}, new long[] {1}).stop().build());
        assertTrue(m.contains("overflows"), m);
        long[] rank9 = new long[9];
        Arrays.fill(rank9, 1);
        m = refused(new PickleBuilder().proto(2).tensor("FloatStorage", "0", 6, 0, rank9, rank9).stop().build());
        assertTrue(m.contains("rank 9"), m);
    }
}
