package dev.clipengine.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;

/**
 * A re-launched JVM that stands in for this process ({@link JvmRelaunch} starts one for the jar's
 * {@link Launcher} and the Spark jar's launcher, to add JVM flags a manifest cannot). The two must live and die together:
 * <ul>
 * <li>the launcher passes its exit code on, and a signal that ends it (SIGTERM, SIGINT, SIGHUP: the
 *     JVM runs its shutdown hooks) is forwarded to the child as SIGTERM, then SIGKILL after a grace
 *     period ({@value #GRACE_SECONDS} s, or what the command asks for: {@code serve} drains its requests
 *     for {@code --grace} seconds), before the launcher exits;</li>
 * <li>a launcher killed outright (SIGKILL runs no hooks) is noticed by the child itself, which
 *     {@link #exitWithLauncher watches} its parent and exits when it changes, instead of writing
 *     outputs for a run its user stopped.</li>
 * </ul>
 */
public final class ChildJvm {

    /** System property carrying the launcher's pid to the child. */
    public static final String LAUNCHER_PID = "clipengine.launcherPid";
    static final int GRACE_SECONDS = 5;
    /** How often the child looks at its parent (a cheap read of /proc/self/stat on Linux). */
    static final long WATCH_MILLIS = 100;

    private ChildJvm() {
    }

    /** The JVM option that makes a child started with it {@link #exitWithLauncher exit with this process}. */
    public static String launcherPidOption() {
        return "-D" + LAUNCHER_PID + "=" + ProcessHandle.current().pid();
    }

    /**
     * Starts {@code pb} (stdin and stdout inherited by the caller's choice, stderr piped through {@code stderr}
     * by {@code pump}), waits for it and returns its exit code; if this process is stopped first, the child is
     * stopped too, getting {@code graceSeconds} before SIGKILL.
     */
    public static int run(ProcessBuilder pb, StderrPump pump, long graceSeconds) throws IOException, InterruptedException {
        return run(pb, pump, null, graceSeconds);
    }

    /** As {@link #run(ProcessBuilder, StderrPump, long)}, with stdout (piped) copied by {@code stdoutPump} when not null. */
    static int run(ProcessBuilder pb, StderrPump pump, StderrPump stdoutPump, long graceSeconds)
            throws IOException, InterruptedException {
        Process p = pb.start();
        Thread hook = new Thread(() -> stop(p, graceSeconds), "stop-child-jvm");
        Runtime.getRuntime().addShutdownHook(hook);
        Thread copier = Thread.ofPlatform().daemon().start(() -> pump.copy(p.getErrorStream()));
        Thread outCopier = stdoutPump == null ? null : Thread.ofPlatform().daemon().start(() -> stdoutPump.copy(p.getInputStream()));
        int code = p.waitFor();
        copier.join();
        if (outCopier != null) outCopier.join();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or ran: nothing to undo
        }
        return code;
    }

    /** Copies the child's stderr somewhere (the launchers drop the incubator warning on the way). */
    @FunctionalInterface
    public interface StderrPump {
        void copy(InputStream childStderr);
    }

    private static void stop(Process p, long graceSeconds) {
        if (!p.isAlive()) return;
        p.destroy(); // SIGTERM: the child runs its own shutdown hooks
        try {
            if (!p.waitFor(graceSeconds, TimeUnit.SECONDS)) p.destroyForcibly();
        } catch (InterruptedException e) {
            p.destroyForcibly();
        }
    }

    /**
     * In a child started with {@link #launcherPidOption()}: a daemon thread that ends this JVM (exit code
     * 143, as for SIGTERM) as soon as its parent is no longer that launcher (killed; the child is then
     * re-parented). Does nothing in a JVM started otherwise.
     */
    public static void exitWithLauncher() {
        String v = System.getProperty(LAUNCHER_PID);
        if (v == null) return;
        long launcher;
        try {
            launcher = Long.parseLong(v);
        } catch (NumberFormatException e) {
            return;
        }
        Thread.ofPlatform().daemon().name("launcher-watch").start(() -> {
            while (ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == launcher) {
                try {
                    Thread.sleep(WATCH_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.exit(143);
        });
    }
}
