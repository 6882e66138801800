package dev.clipengine.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Issue 16: one error path for JVM errors. Picocli hands exceptions to the execution handler but rethrows
 * errors, so an OutOfMemoryError or StackOverflowError from a command used to end in a stack trace and
 * exit 1; {@link WeightsMain#execute} makes them one line and exit 2 like every other failure.
 */
class JvmErrorsTest {

    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        final Throwable error;

        Boom(Throwable error) {
            this.error = error;
        }

        @Override
        public Integer call() throws Exception {
            if (error instanceof Error e) throw e;
            throw (Exception) error;
        }
    }

    static int depth(int n) {
        return n == Integer.MIN_VALUE ? n : depth(n + 1) + 1; // recurses until the stack overflows
    }

    CommandsTest.Result run(Throwable error) {
        CommandLine cl = WeightsMain.configure(new CommandLine(new Boom(error)));
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new CommandsTest.Result(WeightsMain.execute(cl), out.toString(), err.toString());
    }

    @Test
    void picocliRethrowsErrorsWhichIsWhyExecuteExists() {
        CommandLine cl = WeightsMain.configure(new CommandLine(new Boom(new OutOfMemoryError("Java heap space"))));
        assertThrows(OutOfMemoryError.class, () -> cl.execute());
    }

    @Test
    void outOfMemoryIsOneLineAndExitTwo() {
        CommandsTest.Result r = run(new OutOfMemoryError("Java heap space"));
        CommandsTest.assertCleanError(r, 1);
        assertTrue(r.err().contains("out of memory (Java heap space)"), r.err());
        // a real one: an array larger than any heap
        OutOfMemoryError real = assertThrows(OutOfMemoryError.class, () -> {
            long[][] big = new long[Integer.MAX_VALUE - 8][];
            big[0] = new long[Integer.MAX_VALUE - 8];
        });
        CommandsTest.assertCleanError(run(real), 1);
    }

    @Test
    void stackOverflowIsOneLineAndExitTwo() {
        StackOverflowError real = assertThrows(StackOverflowError.class, () -> depth(0));
        CommandsTest.Result r = run(real);
        CommandsTest.assertCleanError(r, 1);
        assertEquals("error: the input is nested too deeply to process (stack overflow)", r.err().strip());
        assertFalse(r.err().contains("StackOverflowError"), r.err());
    }
}
