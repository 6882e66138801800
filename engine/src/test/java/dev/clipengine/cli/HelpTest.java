package dev.clipengine.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command answers {@code --help} with its usage and exit code 0, as a man page would. */
class HelpTest {

    @Test
    void everySubcommandHasHelp() {
        CommandLine root = ClipCli.newCommandLine();
        for (String name : root.getSubcommands().keySet()) {
            if (name.equals("help")) continue;
            StringWriter out = new StringWriter(), err = new StringWriter();
            CommandLine cl = ClipCli.newCommandLine();
            cl.setOut(new PrintWriter(out));
            cl.setErr(new PrintWriter(err));
            int code = cl.execute(name, "--help");
            assertEquals(0, code, name + " --help: " + err);
            assertTrue(out.toString().contains(name) && out.toString().contains("--"), name + " --help printed:\n" + out);
        }
    }
}
