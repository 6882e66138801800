package dev.clipengine.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The jar's entry point. The Vector API is an incubator module, which a jar manifest cannot add,
 * so when the JVM was started without {@code --add-modules jdk.incubator.vector} this class starts
 * the same JVM again with it (and native access enabled), forwarding the caller's JVM options,
 * arguments, standard streams and exit code. The incubator warning the child JVM prints is dropped
 * so that errors stay one line. The two processes live and die together ({@link ChildJvm}): a signal
 * that stops the launcher stops the child, and a child whose launcher was killed exits. Nothing here
 * touches the Vector API itself.
 */
public final class Launcher {

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String RELAUNCHED = "clipengine.relaunched";
    private static final String INCUBATOR_WARNING = "WARNING: Using incubator modules: " + VECTOR_MODULE;

    private Launcher() {
    }

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent()) {
            ClipCli.main(args);
            return;
        }
        if (Boolean.getBoolean(RELAUNCHED)) {
            System.err.println("error: this JVM has no " + VECTOR_MODULE + " module; run with a full JDK 25 (not a jlinked runtime)");
            System.exit(2);
        }
        System.exit(relaunch(args));
    }

    private static int relaunch(String[] args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("--add-modules=" + VECTOR_MODULE);
        cmd.add("--enable-native-access=ALL-UNNAMED");
        List<String> jvmOptions = ManagementFactory.getRuntimeMXBean().getInputArguments();
        cmd.addAll(jvmOptions);
        List<String> javaAndOptions = List.copyOf(cmd);
        AotCache aot = AotCache.forRun(args, jvmOptions, Path.of(ownJar()), System.getenv(), System.getProperty("user.home"));
        if (aot != null) cmd.addAll(aot.childOptions());
        cmd.add("-D" + RELAUNCHED + "=true");
        cmd.add(ChildJvm.launcherPidOption());
        cmd.add("-cp");
        cmd.add(ownJar());
        cmd.add(ClipCli.class.getName());
        cmd.addAll(List.of(args));
        try {
            boolean filterStdout = aot != null && aot.recording();
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectOutput(filterStdout ? ProcessBuilder.Redirect.PIPE : ProcessBuilder.Redirect.INHERIT);
            int code = ChildJvm.run(pb, err -> copyDroppingWarning(err, System.err),
                    filterStdout ? out -> AotCache.copyStdout(out, System.out) : null, childGraceSeconds(args));
            if (aot != null) aot.afterRun(code, javaAndOptions, ownJar());
            return code;
        } catch (IOException e) {
            System.err.println("error: could not start " + cmd.get(0) + ": " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /**
     * How long a stopped child may take to finish: {@code serve} drains the requests in flight for its
     * {@code --grace} seconds (default 30) and then closes the model, so it gets that plus a margin; every
     * other command stops at once on SIGTERM.
     */
    static long childGraceSeconds(String[] args) {
        if (args.length == 0 || !args[0].equals("serve")) return ChildJvm.GRACE_SECONDS;
        long grace = 30;
        for (int i = 1; i < args.length; i++) {
            String value = args[i].startsWith("--grace=") ? args[i].substring("--grace=".length())
                    : args[i].equals("--grace") && i + 1 < args.length ? args[i + 1] : null;
            if (value == null) continue;
            try {
                grace = Math.max(0, Long.parseLong(value.trim()));
            } catch (NumberFormatException e) {
                // the child refuses the option in one line and exits; the default grace is ample for that
            }
        }
        return grace + 10;
    }

    private static String ownJar() {
        try {
            return Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            return System.getProperty("java.class.path");
        }
    }

    /**
     * Copies a re-launched child's stderr byte for byte, except a first line that is the incubator warning
     * (shared with the Spark launcher, which re-launches for the same reason).
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
