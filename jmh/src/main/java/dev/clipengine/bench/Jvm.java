package dev.clipengine.bench;

/** The JVM flags every benchmark fork needs (the Vector API is an incubator module). */
public final class Jvm {

    private Jvm() {
    }

    public static final String ADD_VECTOR = "--add-modules=jdk.incubator.vector";
    public static final String NATIVE = "--enable-native-access=ALL-UNNAMED";
}
