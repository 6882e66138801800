package dev.clipengine.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The jar's entry point. The Vector API is an incubator module, which a jar manifest cannot add,
 * so when the JVM was started without {@code --add-modules jdk.incubator.vector} this class starts
 * the same JVM again with it (and native access enabled), forwarding the caller's JVM options,
 * arguments, standard streams and exit code, through {@link JvmRelaunch} (shared with the Spark jar's
 * launcher). Nothing here touches the Vector API itself.
 */
public final class Launcher {

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String RELAUNCHED = "clipengine.relaunched";

    private Launcher() {
    }

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent()) {
            ClipCli.main(args);
            return;
        }
        JvmRelaunch.refuseSecondStart(RELAUNCHED, "error: this JVM has no " + VECTOR_MODULE + " module; run with a full JDK 25 (not a jlinked runtime)");
        JvmRelaunch.Child child = child(args);
        // the opt-in ahead-of-time cache (docs/command-line.md "Caches"): recorded on a first run, used after
        AotCache aot = AotCache.forRun(args, ManagementFactory.getRuntimeMXBean().getInputArguments(), Path.of(child.classPath()),
                System.getenv(), System.getProperty("user.home"));
        System.exit(JvmRelaunch.run(child, args, aot));
    }

    /** The same JVM with the Vector module and native access, running the command line from this jar. */
    static JvmRelaunch.Child child(String[] args) {
        String ownJar = JvmRelaunch.codeSource(Launcher.class).map(Path::toString).orElse(System.getProperty("java.class.path"));
        return new JvmRelaunch.Child(RELAUNCHED, List.of("--add-modules=" + VECTOR_MODULE, "--enable-native-access=ALL-UNNAMED"),
                ownJar, ClipCli.class.getName(), Map.of(), childGraceSeconds(args));
    }

    /**
     * How long a stopped child may take to finish: {@code serve} drains the requests in flight for its
     * {@code --grace} seconds (default 30) and then closes the model, so it gets that plus a margin; every
     * other command stops at once on SIGTERM.
     */
    static long childGraceSeconds(String[] args) {
        if (args.length == 0 || !args[0].equals("serve")) return JvmRelaunch.DEFAULT_GRACE_SECONDS;
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
}
