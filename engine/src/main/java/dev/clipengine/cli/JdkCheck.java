package dev.clipengine.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The first class of {@code engine.jar} and {@code engine-spark.jar} ({@code Main-Class}). It is compiled for
 * Java 8 (a separate compiler execution, see engine/pom.xml) so that an old JVM can load it and say in one
 * line what is wrong, instead of failing with {@code UnsupportedClassVersionError ... class file version
 * 69.0} on the engine's first class. On JDK 25 or newer it hands over to the real entry point, found by
 * name (a direct reference would be checked against an old JVM's verifier before this could speak).
 *
 * <p>Written in Java 8 syntax on purpose: no {@code var}, records, {@code List.of} or {@code Runtime.version()}.
 */
public final class JdkCheck {

    /** The oldest Java feature release the engine runs on (FFM, the Vector API incubator of JDK 25). */
    public static final int REQUIRED = 25;

    private JdkCheck() {
    }

    public static void main(String[] args) throws Throwable {
        handOver("dev.clipengine.cli.Launcher", args);
    }

    /**
     * Exits with status 2 after one line on stderr when this JVM is older than {@link #REQUIRED}; otherwise
     * calls {@code mainClass.main(args)}.
     */
    public static void handOver(String mainClass, String[] args) throws Throwable {
        int found = feature(System.getProperty("java.specification.version"));
        // 0: a version string this cannot read; the real entry point then meets whatever it is
        if (found > 0 && found < REQUIRED) {
            System.err.println("error: clip-engine needs JDK " + REQUIRED + " or newer (found " + found + "): this java is "
                    + System.getProperty("java.home") + "; run $JAVA_HOME/bin/java -jar ... with JAVA_HOME set to a JDK "
                    + REQUIRED);
            System.exit(2);
        }
        Method main = Class.forName(mainClass).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            // the real main's own failure, not a reflection wrapper: the JVM reports it as if called directly
            throw e.getCause();
        }
    }

    /** The feature release in {@code java.specification.version}: {@code "1.8"} → 8, {@code "17"} → 17; 0 if unreadable. */
    static int feature(String spec) {
        if (spec == null) return 0;
        String s = spec.startsWith("1.") ? spec.substring(2) : spec;
        int dot = s.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? s : s.substring(0, dot));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
