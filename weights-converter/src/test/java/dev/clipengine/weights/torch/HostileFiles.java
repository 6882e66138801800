package dev.clipengine.weights.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The crafted PyTorch files of issue 16 ("hostile inputs cost bounded work"), built byte by byte so
 * that tests and fuzz seeds can make them at any size. Each one buys, from the reader as it was, far
 * more work or memory than its own size: the tests assert that it is now refused quickly and cheaply.
 */
public final class HostileFiles {

    private HostileFiles() {
    }

    /** A state dict {@code {"w": one 4-byte float viewed as n floats with stride 0}}: a view bomb. */
    public static byte[] strideZeroView(long n) {
        byte[] pkl = stateDictOf("w", p -> p.tensor("FloatStorage", "0", 1, 0, new long[] {n}, new long[] {0}));
        ZipBuilder z = new ZipBuilder();
        z.stored("a/data.pkl", pkl);
        z.stored("a/data/0", f32(1.5f));
        return z.build();
    }

    /** A legitimate transposed view (3×2 of a 2×3 storage): what strided views are for. */
    public static byte[] transposedView() {
        byte[] pkl = stateDictOf("w", p -> p.tensor("FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 3}));
        ZipBuilder z = new ZipBuilder();
        z.stored("a/data.pkl", pkl);
        z.stored("a/data/0", f32(0, 1, 2, 3, 4, 5));
        return z.build();
    }

    /**
     * A pickle calling {@code _codecs.encode} {@code calls} times on one memoised string of
     * {@code chars} characters: each call copies the whole string (a CPU and memory bomb).
     */
    public static byte[] codecsEncodeBomb(int chars, int calls) {
        PickleBuilder p = new PickleBuilder().proto(2);
        p.global("_codecs", "encode").op('q').op(0).op('0');
        p.str("x".repeat(chars)).op('q').op(1).op('0');
        p.str("latin1").op('q').op(2).op('0');
        for (int i = 0; i < calls; i++) p.op('h').op(0).mark().op('h').op(1).op('h').op(2).tuple().reduce().op('0');
        return p.op('}').stop().build();
    }

    /**
     * A pickle calling {@code OrderedDict} {@code calls} times on one memoised list of {@code pairs}
     * references to the same pair: each call iterates the whole list.
     */
    public static byte[] orderedDictBomb(int pairs, int calls) {
        PickleBuilder p = new PickleBuilder().proto(2);
        p.global("collections", "OrderedDict").op('q').op(0).op('0');
        p.mark().str("k").integer(1).tuple().op('q').op(1).op('0');
        p.mark();
        for (int i = 0; i < pairs; i++) p.op('h').op(1);
        p.op('l').op('q').op(2).op('0');
        for (int i = 0; i < calls; i++) p.op('h').op(0).mark().op('h').op(2).tuple().reduce().op('0');
        return p.op('}').stop().build();
    }

    /**
     * A TorchScript archive whose module graph is a chain of {@code depth} modules, each holding a
     * tensor and its child twice ({@code a} and {@code b}): 2<sup>depth</sup> paths for a state-dict
     * walk, from a few hundred bytes. {@code codeBytes} of source for the class (deflated) make each
     * visit costly for a reader that scans the source per visit.
     */
    public static byte[] sharedModuleGraph(int depth, int codeBytes) {
        PickleBuilder p = new PickleBuilder().proto(2);
        p.global("__torch__", "M").op('q').op(0).op('0');
        int memo = 1, child = -1;
        for (int level = 0; level < depth; level++) {
            p.op('h').op(0).op(')').op(0x81); // M.__new__(M)
            p.op('}').mark();
            if (child >= 0) p.str("a").op('h').op(child).str("b").op('h').op(child);
            p.str("w").tensor("FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1});
            p.op('u').op('b').op('q').op(memo);
            p.op('0');
            child = memo++;
        }
        p.op('h').op(child).stop();
        StringBuilder code = new StringBuilder("class M(Module):\n  __parameters__ = [\"w\", ]\n  __buffers__ = []\n");
        while (code.length() < codeBytes) code.append("  # padding line of the compiled source\n");
        ZipBuilder z = new ZipBuilder();
        z.stored("a/data.pkl", p.build());
        z.deflated("a/code/__torch__.py", code.toString().getBytes(StandardCharsets.UTF_8));
        z.stored("a/data/0", f32(0.25f));
        return z.build();
    }

    /** A storage entry declaring {@code declared} bytes (ZIP64) from a 100-byte deflate stream. */
    public static byte[] zip64Declared(long declared) {
        byte[] pkl = stateDictOf("w", p -> p.tensor("ByteStorage", "0", declared, 0, new long[] {declared}, new long[] {1}));
        ZipBuilder z = new ZipBuilder();
        z.stored("a/data.pkl", pkl);
        byte[] noise = new byte[100];
        for (int i = 0; i < noise.length; i++) noise[i] = (byte) (i * 37);
        z.deflated("a/data/0", noise).zip64Size(declared);
        return z.build();
    }

    /** A valid one-tensor archive followed by {@code junk} bytes after its end record. */
    public static byte[] junkAfterEnd(String junk) {
        ZipBuilder z = new ZipBuilder();
        z.stored("a/data.pkl", stateDictOf("w", p -> p.tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1})));
        z.stored("a/data/0", f32(1, 2));
        z.trailer = junk.getBytes(StandardCharsets.US_ASCII);
        return z.build();
    }

    /** A valid torch.save state dict of two small tensors that is not a CLIP. */
    public static byte[] notAClip() {
        ZipBuilder z = new ZipBuilder();
        z.stored("a/data.pkl", stateDictOf("layer.weight", p -> p.tensor("FloatStorage", "0", 4, 0, new long[] {2, 2}, new long[] {2, 1})));
        z.stored("a/data/0", f32(1, 2, 3, 4));
        return z.build();
    }

    static byte[] stateDictOf(String name, java.util.function.Consumer<PickleBuilder> tensor) {
        PickleBuilder p = new PickleBuilder().proto(2).global("collections", "OrderedDict").op(')').reduce().mark();
        p.str(name);
        tensor.accept(p);
        return p.op('u').stop().build();
    }

    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }
}
