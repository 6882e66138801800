package dev.clipengine.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How long the launcher lets a stopped child finish before SIGKILL (see {@link Launcher#childGraceSeconds}). */
class LauncherGraceTest {

    @Test
    void commandsOtherThanServeGetTheShortGrace() {
        assertEquals(ChildJvm.GRACE_SECONDS, Launcher.childGraceSeconds(new String[0]));
        assertEquals(ChildJvm.GRACE_SECONDS, Launcher.childGraceSeconds(new String[] {"segment", "--grace", "100"}));
    }

    @Test
    void serveGetsItsDrainingTimePlusAMargin() {
        assertEquals(40, Launcher.childGraceSeconds(new String[] {"serve"}));
        assertEquals(130, Launcher.childGraceSeconds(new String[] {"serve", "--port", "0", "--grace", "120"}));
        assertEquals(12, Launcher.childGraceSeconds(new String[] {"serve", "--grace=2"}));
        assertEquals(40, Launcher.childGraceSeconds(new String[] {"serve", "--grace", "soon"}));
    }
}
