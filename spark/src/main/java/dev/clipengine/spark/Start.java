package dev.clipengine.spark;

import dev.clipengine.cli.JdkCheck;

/**
 * The {@code Main-Class} of {@code engine-spark.jar}: compiled for Java 8 (see spark/pom.xml), like the
 * engine's {@link JdkCheck}, so that an old JVM says "needs JDK 25 or newer" in one line before handing
 * over to {@link Main}, which is named as a string so that nothing compiled for 25 is loaded first.
 */
public final class Start {

    private Start() {
    }

    public static void main(String[] args) throws Throwable {
        JdkCheck.handOver("dev.clipengine.spark.Main", args);
    }
}
