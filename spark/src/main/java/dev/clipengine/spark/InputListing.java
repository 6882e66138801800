package dev.clipengine.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns {@code --input} arguments into the list of inputs, on the driver, through Hadoop's
 * {@link FileSystem} (so local paths, {@code file://}, {@code hdfs://} and {@code s3a://} all work):
 * a folder gives its image files (as engine.jar's {@code segment} does), a glob the files it matches, an
 * image file itself, any other file is a list of paths or URIs, one per line. Listed entries are not
 * opened here: one that is missing or unreadable becomes a row with an error, not a failed job.
 */
final class InputListing {

    private static final int MAX_LIST_BYTES = 256 << 20;

    private InputListing() {
    }

    static List<String> expand(List<String> args, Configuration conf) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (String arg : args) {
            if (arg.isBlank()) throw new IllegalArgumentException("empty --input");
            Path p = new Path(arg);
            FileSystem fs = p.getFileSystem(conf);
            if (isGlob(arg)) {
                FileStatus[] matched = fs.globStatus(p);
                if (matched == null || matched.length == 0) throw new IllegalArgumentException(arg + ": the pattern matches no file");
                for (FileStatus st : sorted(matched)) {
                    if (st.isDirectory()) out.addAll(folder(fs, st.getPath()));
                    else out.add(st.getPath().toString());
                }
                continue;
            }
            FileStatus st;
            try {
                st = fs.getFileStatus(p);
            } catch (FileNotFoundException e) {
                throw new IllegalArgumentException(arg + ": no such file or directory");
            }
            if (st.isDirectory()) {
                List<String> found = folder(fs, st.getPath());
                if (found.isEmpty()) throw new IllegalArgumentException(arg + ": folder holds no .png/.jpg/.jpeg/.bmp/.gif/.tif/.tiff images");
                out.addAll(found);
            } else if (isImageName(st.getPath().getName())) {
                out.add(st.getPath().toString());
            } else {
                out.addAll(list(fs, st));
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no inputs");
        return new ArrayList<>(out);
    }

    private static List<String> folder(FileSystem fs, Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        for (FileStatus f : sorted(fs.listStatus(dir))) {
            if (f.isFile() && isImageName(f.getPath().getName())) found.add(f.getPath().toString());
        }
        return found;
    }

    /** A list file: one path or URI per line, blank lines and '#' comments skipped, relative paths from the list's folder. */
    private static List<String> list(FileSystem fs, FileStatus st) throws IOException {
        if (st.getLen() > MAX_LIST_BYTES) {
            throw new IllegalArgumentException(st.getPath() + ": not an image (.png/.jpg/.jpeg/.bmp/.gif/.tif/.tiff) and too large for a list of paths");
        }
        byte[] bytes;
        try (FSDataInputStream in = fs.open(st.getPath())) {
            bytes = in.readAllBytes();
        }
        for (byte b : bytes) {
            if (b == 0) throw new IllegalArgumentException(st.getPath() + ": neither an image (.png/.jpg/.jpeg/.bmp/.gif/.tif/.tiff) nor a text list of paths");
        }
        List<String> out = new ArrayList<>();
        Path base = st.getPath().getParent();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\r?\n")) {
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) continue;
            Path entry = new Path(s);
            Path resolved = entry.isAbsoluteAndSchemeAuthorityNull() || entry.toUri().getScheme() != null ? entry : new Path(base, entry);
            out.add(resolved.getFileSystem(fs.getConf()).makeQualified(resolved).toString());
        }
        if (out.isEmpty()) throw new IllegalArgumentException(st.getPath() + ": the list holds no paths");
        return out;
    }

    /**
     * Two inputs with one stem would write the same {@code <stem>.labels.png}: refused before any work, as
     * engine.jar's {@code segment} refuses it.
     */
    static void checkStems(List<String> inputs) {
        Map<String, String> seen = new HashMap<>();
        for (String p : inputs) {
            String other = seen.put(stem(p), p);
            if (other != null) {
                throw new IllegalArgumentException("inputs " + other + " and " + p + " would both write " + stem(p) + ".*; rename one");
            }
        }
    }

    /** The file name without its last extension, as engine.jar's {@code segment} names outputs. */
    static String stem(String path) {
        String n = new Path(path).getName();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    static boolean isImageName(String n) {
        String l = n.toLowerCase(Locale.ROOT);
        // what engine.jar's segment takes from a folder: every format the decoder reads, TIFF included
        return l.endsWith(".png") || l.endsWith(".jpg") || l.endsWith(".jpeg") || l.endsWith(".bmp") || l.endsWith(".gif")
                || l.endsWith(".tif") || l.endsWith(".tiff");
    }

    /** Hadoop's glob syntax: {@code * ? [abc] {a,b}}. */
    private static boolean isGlob(String s) {
        return s.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    private static FileStatus[] sorted(FileStatus[] s) {
        FileStatus[] c = s.clone();
        Arrays.sort(c, Comparator.comparing(f -> f.getPath().toString()));
        return c;
    }
}
