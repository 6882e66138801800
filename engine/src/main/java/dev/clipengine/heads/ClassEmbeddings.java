package dev.clipengine.heads;

import dev.clipengine.weights.Tensor;
import dev.clipengine.weights.WeightsFormatException;
import dev.clipengine.weights.torch.TorchFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Class text features as the repositories take them from the user (docs/seed-heads.md §1): a NumPy
 * {@code .npy} {@code [C, E]} ({@code <f2} read exactly and widened, {@code <f4}, {@code <f8}), or a {@code torch.save}
 * of one {@code [C, E]} tensor (ReCLIP++'s {@code *_clip_text.pth}, a transposed view tagged {@code cuda:0}). The
 * values are used as given, not renormalised.
 */
public final class ClassEmbeddings {

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=]?)([fi])(\\d)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,?\\s*\\)");
    /** A sane bound on a text-feature table (COCO-Stuff 171 × 768 is far below). */
    private static final long MAX_ELEMENTS = 1L << 26;

    private ClassEmbeddings() {
    }

    /** Rows {@code [rows, cols]} of fp32 values. */
    public record Table(float[] values, int rows, int cols) {
    }

    public static Table read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new WeightsFormatException(file, "no such class-embeddings file");
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".npy")) return npy(file);
        return torch(file);
    }

    /**
     * {@link #read}, checked against the head: {@code classes} rows (when positive) of {@code dim} columns; the
     * message names both sizes.
     */
    public static Table read(Path file, int classes, int dim) throws IOException {
        Table t = read(file);
        if (t.cols() != dim) throw new WeightsFormatException(file, "class embeddings are " + t.cols() + "-dimensional but the model's embedding is " + dim);
        if (classes > 0 && t.rows() != classes) throw new WeightsFormatException(file, "holds " + t.rows() + " class embeddings but the decoder has " + classes + " classes");
        return t;
    }

    private static Table torch(Path file) throws IOException {
        try (TorchFile f = TorchFile.open(file)) {
            Tensor t = f.tensors().size() == 1 ? f.tensors().values().iterator().next() : null;
            if (t == null) throw new WeightsFormatException(file, "holds " + f.tensors().size() + " tensors; expected one [classes, dim] tensor");
            if (t.rank() != 2) throw new WeightsFormatException(file, "tensor has shape " + java.util.Arrays.toString(t.shape()) + "; expected [classes, dim]");
            return finite(file, new Table(t.toFloatArray(), t.dim(0), t.dim(1)));
        }
    }

    private static Table npy(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(8);
            if (magic.length < 8 || (magic[0] & 0xff) != 0x93 || !new String(magic, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) {
                throw new WeightsFormatException(file, "not a NumPy .npy file");
            }
            int major = magic[6];
            int headerLen;
            if (major == 1) {
                byte[] l = in.readNBytes(2);
                if (l.length < 2) throw new WeightsFormatException(file, "truncated .npy header");
                headerLen = (l[0] & 0xff) | (l[1] & 0xff) << 8;
            } else if (major == 2 || major == 3) {
                byte[] l = in.readNBytes(4);
                if (l.length < 4) throw new WeightsFormatException(file, "truncated .npy header");
                headerLen = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getInt();
                if (headerLen < 0 || headerLen > 1 << 20) throw new WeightsFormatException(file, ".npy header of " + headerLen + " bytes");
            } else {
                throw new WeightsFormatException(file, ".npy format version " + major + " is not supported");
            }
            byte[] hb = in.readNBytes(headerLen);
            if (hb.length < headerLen) throw new WeightsFormatException(file, "truncated .npy header");
            String header = new String(hb, StandardCharsets.ISO_8859_1);
            Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
            if (!d.find() || !d.group(2).equals("f") || d.group(1).equals(">")) throw new WeightsFormatException(file, ".npy dtype is not little-endian float (header " + header.strip() + ")");
            if (!s.find()) throw new WeightsFormatException(file, ".npy array is not 2-dimensional [classes, dim] (header " + header.strip() + ")");
            boolean fortran = f.find() && f.group(1).equals("True");
            int bytes = Integer.parseInt(d.group(3));
            if (bytes != 2 && bytes != 4 && bytes != 8) throw new WeightsFormatException(file, ".npy float of " + bytes + " bytes is not supported");
            long rows = parseSize(s.group(1)), cols = parseSize(s.group(2));
            // each side is bounded first, so the product cannot overflow
            if (rows < 1 || cols < 1 || rows > MAX_ELEMENTS || cols > MAX_ELEMENTS || rows * cols > MAX_ELEMENTS) throw new WeightsFormatException(file, ".npy shape (" + rows + ", " + cols + ") is empty or too large");
            int n = (int) (rows * cols);
            byte[] data = in.readNBytes(n * bytes);
            if (data.length < n * bytes) throw new WeightsFormatException(file, "truncated .npy data: " + data.length + " of " + (long) n * bytes + " bytes");
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                float x = switch (bytes) {
                    case 2 -> Float.float16ToFloat(b.getShort(i * 2));
                    case 4 -> b.getFloat(i * 4);
                    default -> (float) b.getDouble(i * 8);
                };
                // Fortran order stores columns first
                int r = fortran ? i % (int) rows : i / (int) cols, c = fortran ? i / (int) rows : i % (int) cols;
                v[r * (int) cols + c] = x;
            }
            return finite(file, new Table(v, (int) rows, (int) cols));
        }
    }

    /** A shape entry; absurd lengths become a value the size check refuses. */
    private static long parseSize(String digits) {
        return digits.length() > 12 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    private static Table finite(Path file, Table t) throws WeightsFormatException {
        float[] v = t.values();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) throw new WeightsFormatException(file, "class embedding " + i / t.cols() + " holds a non-finite value");
        }
        return t;
    }
}
