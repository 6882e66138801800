package dev.clipengine.cuda;

import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A shared library opened by one of several versioned sonames, tried in order, plus the downcall handles made from it.
 *
 * <p>Each soname is first given to the dynamic loader as is ({@code dlopen} searches {@code LD_LIBRARY_PATH}, the
 * {@code ld.so} cache and the default directories), then looked for as a file in the extra directories of
 * {@link #searchDirectories()}: CUDA toolkits install under {@code /usr/local/cuda*} without always registering with
 * {@code ldconfig}, and pip's {@code nvidia-*} wheels put the libraries in their own folders. Libraries are opened in
 * the global arena: they stay loaded for the life of the process, which is what a backend that caches handles needs.
 *
 * <p>Missing libraries are not exceptional here: {@link #open} returns a {@link Result} that either holds the library
 * or a one-line reason, so the probe can report absence without throwing.
 */
public final class NativeLibrary {

    /** System property with extra directories to search (path-separator separated), e.g. an extracted cuBLAS. */
    public static final String LIBPATH_PROPERTY = "clip.cuda.libpath";

    private static final Linker LINKER = Linker.nativeLinker();

    private final String name;
    private final String soname;
    private final String location;
    private final SymbolLookup lookup;
    /** Every symbol group asked for through {@link #downcall}, in order: lets tests compare the bindings with headers. */
    private final List<List<String>> requested = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<String> missing = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A library over any lookup (tests use a recording lookup to list the symbols the bindings ask for). */
    static NativeLibrary over(String name, SymbolLookup lookup) {
        return new NativeLibrary(name, name, name, lookup);
    }

    private NativeLibrary(String name, String soname, String location, SymbolLookup lookup) {
        this.name = name;
        this.soname = soname;
        this.location = location;
        this.lookup = lookup;
    }

    /** Either a loaded library or the reason none of the sonames could be opened. */
    public record Result(NativeLibrary library, String problem) {
        public boolean loaded() {
            return library != null;
        }

        public NativeLibrary orThrow() {
            if (library == null) throw new CudaUnavailableException(problem);
            return library;
        }
    }

    /**
     * Opens the first soname that loads.
     *
     * @param name     human name for messages, e.g. "CUDA runtime"
     * @param sonames  versioned sonames, newest first (e.g. {@code libcublas.so.13, libcublas.so.12})
     */
    public static Result open(String name, String... sonames) {
        List<String> failures = new ArrayList<>();
        for (String so : sonames) {
            try {
                return new Result(new NativeLibrary(name, so, so, SymbolLookup.libraryLookup(so, Arena.global())), null);
            } catch (IllegalArgumentException notOnLoaderPath) {
                failures.add(so);
            }
            for (Path dir : searchDirectories()) {
                Path file = dir.resolve(so);
                if (!Files.isRegularFile(file)) continue;
                try {
                    return new Result(new NativeLibrary(name, so, file.toString(),
                            SymbolLookup.libraryLookup(file, Arena.global())), null);
                } catch (IllegalArgumentException brokenFile) {
                    // present but not loadable (missing dependency such as libcublasLt, wrong architecture)
                    failures.add(file + " (present but dlopen failed: a dependency missing?)");
                }
            }
        }
        return new Result(null, String.join(", ", new LinkedHashSet<>(failures)) + " not found");
    }

    /** Directories searched after the loader's own path, in order; only existing ones are returned. */
    public static List<Path> searchDirectories() {
        Set<String> dirs = new LinkedHashSet<>();
        String extra = System.getProperty(LIBPATH_PROPERTY);
        if (extra != null && !extra.isBlank()) {
            for (String d : extra.split(File.pathSeparator)) if (!d.isBlank()) dirs.add(d);
        }
        for (String env : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
            String home = System.getenv(env);
            if (home != null && !home.isBlank()) {
                dirs.add(home + "/lib64");
                dirs.add(home + "/lib");
            }
        }
        dirs.add("/usr/local/cuda/lib64");
        dirs.add("/usr/local/cuda/lib");
        dirs.add("/usr/lib/wsl/lib");   // libcuda.so.1 under WSL2
        List<Path> out = new ArrayList<>();
        for (String d : dirs) {
            Path p = Path.of(d);
            if (Files.isDirectory(p)) out.add(p);
        }
        return out;
    }

    /** Human name, e.g. "cuBLAS". */
    public String name() {
        return name;
    }

    /** The soname that loaded, e.g. {@code libcublas.so.12}. */
    public String soname() {
        return soname;
    }

    /** The soname or the file path it was loaded from. */
    public String location() {
        return location;
    }

    /** Whether the library exports {@code symbol}. */
    public boolean has(String symbol) {
        return lookup.find(symbol).isPresent();
    }

    /** The address of the first of {@code symbols} that the library exports. */
    public Optional<MemorySegment> find(String... symbols) {
        for (String s : symbols) {
            Optional<MemorySegment> a = lookup.find(s);
            if (a.isPresent()) return a;
        }
        return Optional.empty();
    }

    /**
     * A downcall handle for the first exported name of {@code symbols} (several names cover versioned exports such as
     * {@code cudaGetDeviceProperties_v2} in CUDA 12 vs {@code cudaGetDeviceProperties} in CUDA 13). If none is
     * exported (an older library) the handle throws {@link UnsupportedOperationException} naming the symbol when
     * called, so loading a library never fails because of a function the caller may not need.
     */
    public MethodHandle downcall(FunctionDescriptor descriptor, String... symbols) {
        requested.add(List.of(symbols));
        Optional<MemorySegment> address = find(symbols);
        if (address.isPresent()) return LINKER.downcallHandle(address.get(), descriptor);
        missing.add(String.join("|", symbols));
        return Missing.handle(descriptor, symbols[0] + " is not exported by " + location);
    }

    /** Symbol groups (alternative names of one function) bound so far. */
    public List<List<String>> requestedSymbols() {
        return List.copyOf(requested);
    }

    /** Functions bound so far that this library does not export (their handles throw when called). */
    public List<String> missingSymbols() {
        return List.copyOf(missing);
    }

    @Override
    public String toString() {
        return name + " (" + location + ")";
    }

    /** Handles that stand in for functions an older library lacks. */
    private static final class Missing {
        static MethodHandle handle(FunctionDescriptor d, String message) {
            var thrower = java.lang.invoke.MethodHandles.throwException(
                    d.toMethodType().returnType(), UnsupportedOperationException.class);
            MethodHandle h = java.lang.invoke.MethodHandles.insertArguments(thrower, 0,
                    new UnsupportedOperationException(message));
            return java.lang.invoke.MethodHandles.dropArguments(h, 0, d.toMethodType().parameterList());
        }
    }
}
