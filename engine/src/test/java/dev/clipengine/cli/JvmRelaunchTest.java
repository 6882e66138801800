package dev.clipengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The relaunch both jars' launchers share ({@link JvmRelaunch}): the child's command line, exit code and stderr. */
class JvmRelaunchTest {

    /** The child JVM of {@link #aChildRunsWithTheFlagsAndPassesItsExitCodeOn}: checks what it was given, exits 7. */
    public static final class Child {
        public static void main(String[] args) {
            boolean marked = Boolean.getBoolean("test.relaunched") && System.getProperty(ChildJvm.LAUNCHER_PID) != null;
            boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
            System.err.println("child " + String.join(",", args) + " marked=" + marked + " vector=" + vector + " env="
                    + System.getenv("JVM_RELAUNCH_TEST"));
            System.exit(7);
        }
    }

    @Test
    void theCommandLineKeepsTheLaunchersOrder() {
        JvmRelaunch.Child c = new JvmRelaunch.Child("x.relaunched", List.of("--add-modules=jdk.incubator.vector"), "a.jar", "p.Main",
                Map.of(), 5);
        List<String> cmd = JvmRelaunch.command(c, new String[] {"segment", "--help"});
        List<String> own = ManagementFactory.getRuntimeMXBean().getInputArguments();
        assertEquals(JvmRelaunch.javaExecutable(), cmd.get(0));
        assertEquals("--add-modules=jdk.incubator.vector", cmd.get(1));
        // the caller's own JVM options come after the launcher's flags, so that they can override them
        assertEquals(own, cmd.subList(2, 2 + own.size()));
        assertEquals(List.of("-Dx.relaunched=true", ChildJvm.launcherPidOption(), "-cp", "a.jar", "p.Main", "segment", "--help"),
                cmd.subList(2 + own.size(), cmd.size()));
    }

    @Test
    void theEngineLauncherAsksForTheVectorModuleAndTheServeGrace() {
        JvmRelaunch.Child c = Launcher.child(new String[] {"serve", "--grace", "3"});
        assertEquals(List.of("--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"), c.flags());
        assertEquals(ClipCli.class.getName(), c.mainClass());
        assertEquals(13, c.graceSeconds());
        assertEquals(JvmRelaunch.DEFAULT_GRACE_SECONDS, Launcher.child(new String[] {"segment"}).graceSeconds());
    }

    @Test
    void aChildRunsWithTheFlagsAndPassesItsExitCodeOn() {
        JvmRelaunch.Child c = new JvmRelaunch.Child("test.relaunched", List.of("--add-modules=jdk.incubator.vector"),
                System.getProperty("java.class.path"), Child.class.getName(), Map.of("JVM_RELAUNCH_TEST", "set"), 5);
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = JvmRelaunch.run(c, new String[] {"a", "b"});
        } finally {
            System.setErr(saved);
        }
        assertEquals(7, code);
        // the incubator warning the module flag makes the child print is dropped; the rest comes through as it is
        assertEquals("child a,b marked=true vector=true env=set", err.toString(StandardCharsets.UTF_8).strip());
        assertTrue(!err.toString(StandardCharsets.UTF_8).contains("WARNING"));
    }
}
