package dev.clipengine.cuda;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeLibraryTest {

    @Test
    void absentLibraryIsReportedInOneLineWithoutThrowing() {
        NativeLibrary.Result r = NativeLibrary.open("test", "libclipengine-absent.so.2", "libclipengine-absent.so.1");
        assertFalse(r.loaded());
        assertEquals("libclipengine-absent.so.2, libclipengine-absent.so.1 not found", r.problem());
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, r::orThrow);
        assertEquals(r.problem(), e.getMessage());
    }

    @Test
    void firstLoadableSonameWinsAndBindsRealFunctions() throws Throwable {
        // glibc is always there: proves the loader path and a real downcall through a handle made by downcall().
        NativeLibrary.Result r = NativeLibrary.open("libc", "libclipengine-absent.so.9", "libc.so.6");
        assertTrue(r.loaded(), r.problem());
        assertEquals("libc.so.6", r.library().soname());
        MethodHandle strlen = r.library().downcall(FunctionDescriptor.of(JAVA_LONG, ADDRESS), "no_such_strlen", "strlen");
        try (Arena a = Arena.ofConfined()) {
            assertEquals(5L, (long) strlen.invokeExact(a.allocateFrom("clip!")));
        }
        assertTrue(r.library().missingSymbols().isEmpty());
    }

    @Test
    void missingFunctionThrowsOnlyWhenCalled() {
        NativeLibrary lib = NativeLibrary.open("libc", "libc.so.6").orThrow();
        MethodHandle h = lib.downcall(FunctionDescriptor.of(JAVA_LONG, ADDRESS), "clipengine_no_such_function");
        assertEquals(java.util.List.of("clipengine_no_such_function"), lib.missingSymbols());
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> { long ignored = (long) h.invokeExact(java.lang.foreign.MemorySegment.NULL); });
        assertTrue(e.getMessage().contains("clipengine_no_such_function is not exported by libc.so.6"), e.getMessage());
    }
}
