package dev.clipengine.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starting this JVM again with what a jar manifest cannot give it (the Vector API incubator module, Spark's
 * {@code --add-opens}, Spark's jars): the one implementation behind {@code engine.jar}'s {@link Launcher} and
 * {@code engine-spark.jar}'s launcher, which differ only in the {@link Child} they describe. The child gets the
 * caller's JVM options, arguments, standard streams and exit code, and lives and dies with the launcher
 * ({@link ChildJvm}); the incubator warning it prints first is dropped so that errors stay one line.
 */
public final class JvmRelaunch {

    static final String INCUBATOR_WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";

    /** How long a stopped child gets by default before SIGKILL (see {@link ChildJvm}). */
    public static final long DEFAULT_GRACE_SECONDS = ChildJvm.GRACE_SECONDS;

    /**
     * The JVM to start.
     *
     * @param relaunchedProperty system property set to {@code true} in the child, so that a child still not ready
     *                           says so instead of starting another ({@link #refuseSecondStart})
     * @param flags              JVM flags placed before the caller's own JVM options (which may override them)
     * @param classPath          the child's class path
     * @param mainClass          its main class, by name (loading it in the launcher could pull in what is missing here)
     * @param environment        variables added to the inherited environment
     * @param graceSeconds       how long the child may take to stop once this launcher is stopped
     */
    public record Child(String relaunchedProperty, List<String> flags, String classPath, String mainClass,
                        Map<String, String> environment, long graceSeconds) {
        public Child {
            flags = List.copyOf(flags);
            environment = Map.copyOf(environment);
        }
    }

    private JvmRelaunch() {
    }

    /**
     * In a JVM that is itself the relaunched child and still lacks what it needs: {@code message} on stderr and exit
     * 2 (another start would loop); otherwise nothing.
     */
    public static void refuseSecondStart(String relaunchedProperty, String message) {
        if (Boolean.getBoolean(relaunchedProperty)) {
            System.err.println(message);
            System.exit(2);
        }
    }

    /** Runs {@code child} with {@code args} and returns its exit code (2 if it cannot start, 130 if interrupted). */
    public static int run(Child child, String[] args) {
        return run(child, args, null);
    }

    /**
     * {@link #run(Child, String[])} with the engine's ahead-of-time cache ({@code null}: none): its options go to the
     * child, a recording child's stdout is filtered of the JVM's one line there, and the cache is assembled after.
     */
    static int run(Child child, String[] args, AotCache aot) {
        List<String> javaAndOptions = command(child, args, List.of()).subList(0, 1 + child.flags().size()
                + ManagementFactory.getRuntimeMXBean().getInputArguments().size());
        List<String> cmd = command(child, args, aot == null ? List.of() : aot.childOptions());
        boolean filterStdout = aot != null && aot.recording();
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(filterStdout ? ProcessBuilder.Redirect.PIPE : ProcessBuilder.Redirect.INHERIT);
        // This JVM's options, those from JDK_JAVA_OPTIONS included, are on the child's command line already; the
        // variable itself would make the child's java launcher add them a second time (a second -agentpath fails).
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().putAll(child.environment());
        try {
            int code = ChildJvm.run(pb, err -> copyDroppingWarning(err, System.err),
                    filterStdout ? out -> AotCache.copyStdout(out, System.out) : null, child.graceSeconds());
            if (aot != null) aot.afterRun(code, List.copyOf(javaAndOptions), child.classPath());
            return code;
        } catch (IOException e) {
            System.err.println("error: could not start " + cmd.get(0) + ": " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** The child's command line: this JVM's executable, the flags, the caller's JVM options, the markers, the class. */
    static List<String> command(Child child, String[] args) {
        return command(child, args, List.of());
    }

    private static List<String> command(Child child, String[] args, List<String> extraJvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaExecutable());
        cmd.addAll(child.flags());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(extraJvmOptions);
        cmd.add("-D" + child.relaunchedProperty() + "=true");
        cmd.add(ChildJvm.launcherPidOption());
        cmd.add("-cp");
        cmd.add(child.classPath());
        cmd.add(child.mainClass());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** This JVM's {@code java} executable. */
    static String javaExecutable() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Where {@code c} was loaded from (a jar, or a classes folder in a build), if the JVM tells. */
    public static Optional<Path> codeSource(Class<?> c) {
        try {
            return Optional.of(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /**
     * Copies a re-launched child's stderr byte for byte, except a first line that is the incubator warning.
     */
    public static void copyDroppingWarning(InputStream in, OutputStream out) {
        try {
            byte[] first = new byte[INCUBATOR_WARNING.length() + 1];
            int n = 0, b;
            while (n < first.length && (b = in.read()) != -1) {
                first[n++] = (byte) b;
                if (b == '\n') break;
            }
            String line = new String(first, 0, n, StandardCharsets.UTF_8);
            if (!line.strip().equals(INCUBATOR_WARNING)) {
                out.write(first, 0, n);
                out.flush();
            }
            byte[] buf = new byte[8192];
            int r;
            while ((r = in.read(buf)) != -1) {
                out.write(buf, 0, r);
                out.flush();
            }
        } catch (IOException ignored) {
            // the child is gone; nothing left to copy
        }
    }
}
