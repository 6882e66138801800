package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.DataInputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The launcher that speaks on old JVMs (issue 18 finding 9): it reads versions and is loadable by Java 8. */
class JdkCheckTest {

    @Test
    void readsTheFeatureReleaseOfOldAndNewVersionStrings() {
        assertEquals(8, JdkCheck.feature("1.8"));
        assertEquals(11, JdkCheck.feature("11"));
        assertEquals(17, JdkCheck.feature("17"));
        assertEquals(25, JdkCheck.feature("25"));
        assertEquals(26, JdkCheck.feature("26.1"));
        assertEquals(0, JdkCheck.feature(null));
        assertEquals(0, JdkCheck.feature("unknown"));
    }

    @Test
    void isCompiledForJava8() throws Exception {
        // class file major version 52 = Java 8 (the rest of the engine is 69 = Java 25)
        assertEquals(52, major(JdkCheck.class));
        assertEquals(69, major(Launcher.class));
    }

    static int major(Class<?> c) throws Exception {
        try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class"); DataInputStream d = new DataInputStream(in)) {
            assertEquals(0xCAFEBABE, d.readInt());
            d.readUnsignedShort();
            return d.readUnsignedShort();
        }
    }
}
