package dev.clipengine.spark;

import dev.clipengine.cli.JvmRelaunch;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The entry point of {@code engine-spark.jar}. Under {@code spark-submit} the JVM already has Spark on
 * its class path and the module flags Spark and the engine need, and this goes straight to the
 * command line. Started with plain {@code java -jar}, it has neither: it then starts the same JVM
 * again with Spark's jars ({@code $SPARK_HOME/jars}, else the {@code spark-home/jars} folder that
 * {@code mvn package} lays out beside the jar) and the flags Spark's own launcher gives its JVMs
 * (read from that Spark's {@code JavaModuleOptions}), forwarding JVM options, arguments, streams and the
 * exit code through {@link JvmRelaunch}, as engine.jar's launcher does. Nothing here touches Spark or the Vector API, so it runs on a bare class path.
 */
public final class Main {

    private static final String RELAUNCHED = "clipengine.spark.relaunched";

    /** Spark 4.2's JavaModuleOptions, used if that class cannot be read from the jars found. */
    private static final List<String> FALLBACK_FLAGS = Stream.of("-XX:+IgnoreUnrecognizedVMOptions",
            "--add-modules=jdk.incubator.vector", "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED", "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED", "-Dio.netty.tryReflectionSetAccessible=true",
            "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED").filter(Main::applies).toList();

    private Main() {
    }

    public static void main(String[] args) {
        if (ready()) {
            SparkCli.main(args);
            return;
        }
        JvmRelaunch.refuseSecondStart(RELAUNCHED, "error: the relaunched JVM still lacks Spark or the jdk.incubator.vector module; "
                + "run with a full JDK 25 and Spark 4.2 (spark-submit, or SPARK_HOME)");
        System.exit(relaunch(args));
    }

    /** Spark loadable, the Vector API present, and java.base opened to us as Spark needs. */
    static boolean ready() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return false;
        if (!Object.class.getModule().isOpen("sun.nio.ch", Main.class.getModule())) return false;
        try {
            Class.forName("org.apache.spark.sql.SparkSession", false, Main.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static int relaunch(String[] args) {
        Path ownJar = ownJar();
        Path home = sparkHome(ownJar);
        if (home == null) {
            System.err.println("error: Spark 4.2 not found: run under spark-submit, set SPARK_HOME to a Spark 4.2 installation, "
                    + "or keep the spark-home/ folder that `mvn package` makes beside " + (ownJar == null ? "the jar" : ownJar.getFileName()));
            return 2;
        }
        Path jars = home.resolve("jars");
        String classPath = (ownJar == null ? System.getProperty("java.class.path") : ownJar.toString()) + File.pathSeparator + jars
                + File.separator + "*";
        // local-cluster workers look Spark up there to start their executors; Spark's launcher library
        // otherwise guesses the Scala version from a source build's folders, which a jars-only home lacks
        Map<String, String> env = new HashMap<>();
        if (System.getenv("SPARK_HOME") == null) env.put("SPARK_HOME", home.toString());
        if (System.getenv("SPARK_SCALA_VERSION") == null) env.put("SPARK_SCALA_VERSION", "2.13");
        // SparkCli by name: loading it here could pull in Spark classes
        return JvmRelaunch.run(new JvmRelaunch.Child(RELAUNCHED, moduleFlags(jars), classPath, "dev.clipengine.spark.SparkCli", env,
                JvmRelaunch.DEFAULT_GRACE_SECONDS), args);
    }

    /** $SPARK_HOME when it holds Spark's jars, else spark-home/ beside the jar; null when neither. */
    static Path sparkHome(Path ownJar) {
        String env = System.getenv("SPARK_HOME");
        if (env != null && !env.isBlank() && hasSparkCore(Path.of(env).resolve("jars"))) return Path.of(env);
        if (ownJar != null && ownJar.getParent() != null) {
            Path beside = ownJar.getParent().resolve("spark-home");
            if (hasSparkCore(beside.resolve("jars"))) return beside.toAbsolutePath();
        }
        return null;
    }

    private static boolean hasSparkCore(Path jars) {
        if (!Files.isDirectory(jars)) return false;
        try (Stream<Path> s = Files.list(jars)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith("spark-core_"));
        } catch (IOException e) {
            return false;
        }
    }

    /** The JVM flags of the Spark found, so they follow that Spark's version rather than ours. */
    private static List<String> moduleFlags(Path jars) {
        try (Stream<Path> s = Files.list(jars)) {
            Path launcher = s.filter(p -> p.getFileName().toString().startsWith("spark-launcher_")).findFirst().orElse(null);
            if (launcher == null) return FALLBACK_FLAGS;
            try (URLClassLoader cl = new URLClassLoader(new URL[] {launcher.toUri().toURL()}, null)) {
                String[] flags = (String[]) cl.loadClass("org.apache.spark.launcher.JavaModuleOptions")
                        .getMethod("defaultModuleOptionArray").invoke(null);
                return Stream.of(flags).filter(Main::applies).toList();
            }
        } catch (ReflectiveOperationException | IOException | RuntimeException e) {
            return FALLBACK_FLAGS;
        }
    }

    /**
     * Whether an {@code --add-opens=MODULE/PACKAGE=...} flag names a package this JDK has: Spark's list
     * keeps packages older JDKs had (sun.security.action), which JDK 25 warns about at every start.
     */
    static boolean applies(String flag) {
        if (!flag.startsWith("--add-opens=")) return true;
        String target = flag.substring("--add-opens=".length());
        int slash = target.indexOf('/'), eq = target.indexOf('=');
        if (slash < 0 || eq < slash) return true;
        String module = target.substring(0, slash), pkg = target.substring(slash + 1, eq);
        return ModuleLayer.boot().findModule(module).map(m -> m.getPackages().contains(pkg)).orElse(false);
    }

    private static Path ownJar() {
        return JvmRelaunch.codeSource(Main.class).filter(p -> p.toString().endsWith(".jar")).map(Path::toAbsolutePath).orElse(null);
    }
}
