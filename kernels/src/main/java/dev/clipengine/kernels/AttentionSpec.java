package dev.clipengine.kernels;

import java.util.List;
import java.util.Objects;

/**
 * What one {@link Backend#attention} call computes, for every head {@code h} and every query row {@code i} of a
 * sequence (rows {@code j} of the same sequence are the keys):
 * <pre>
 *   out_h[i] = Σ_b Σ_j P_b[i][j] · V_h[j],   P_b[i] = softmax_j(scale · X_b,h[i] · Y_b,h[j] + bias[i][j])
 * </pre>
 * where each {@link Branch} b names which part of the packed {@code q|k|v} rows plays the query ({@code X}) and which
 * the key ({@code Y}). With {@link #causal()} row {@code i} only sees {@code j <= i} (an additive -inf above the
 * diagonal). The sum over branches is not averaged. With no branch at all the mixing is the identity:
 * {@code out_h[i] = V_h[i]}.
 *
 * <p>The methods the engine runs are all of this form: CLIP's attention is the branch (Q, K); CLIPtrase's last block
 * the sum over (Q, Q), (K, K), (V, V); SCLIP's over (Q, Q), (K, K); ClearCLIP's (Q, Q); NACLIP's (K, K) with an
 * additive bias; MaskCLIP's the identity.
 *
 * @param heads   heads; rows of q, k, v and out are {@code heads·headDim} wide, head {@code h} at column
 *                {@code h·headDim}
 * @param headDim width of one head
 * @param scale   multiplies the dot products ({@code headDim^-1/2} for CLIP)
 * @param causal  mask keys after the query row
 */
public record AttentionSpec(int heads, int headDim, float scale, List<Branch> branches, boolean causal) {

    /** A third of the packed {@code [q | k | v]} row: where its columns start is {@code ordinal()·heads·headDim}. */
    public enum Part { Q, K, V }

    /** One softmax of the sum: {@code query} rows attend to {@code key} rows. */
    public record Branch(Part query, Part key) {
        public Branch {
            Objects.requireNonNull(query, "query");
            Objects.requireNonNull(key, "key");
        }
    }

    public AttentionSpec {
        if (heads < 1 || headDim < 1) {
            throw new IllegalArgumentException("heads and headDim must be positive, got " + heads + " and " + headDim);
        }
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("scale must be finite, got " + scale);
        branches = List.copyOf(branches);
    }

    /** PyTorch scales q by {@code headDim^-1/2} before the product; scaling the product is the same up to rounding. */
    public static float defaultScale(int headDim) {
        return (float) (1.0 / Math.sqrt(headDim));
    }

    /** CLIP's attention: {@code softmax(s·q·kᵀ)·v}. */
    public static AttentionSpec standard(int heads, int headDim, boolean causal) {
        return new AttentionSpec(heads, headDim, defaultScale(headDim), List.of(new Branch(Part.Q, Part.K)), causal);
    }

    /** {@code Σ_p softmax(s·p·pᵀ)·v} over the given parts, each attending to itself (CLIPtrase, SCLIP, ClearCLIP). */
    public static AttentionSpec selfSum(int heads, int headDim, Part... parts) {
        Branch[] b = new Branch[parts.length];
        for (int i = 0; i < parts.length; i++) b[i] = new Branch(parts[i], parts[i]);
        return new AttentionSpec(heads, headDim, defaultScale(headDim), List.of(b), false);
    }

    /** No token mixing: each row keeps its own v (MaskCLIP). */
    public static AttentionSpec identity(int heads, int headDim) {
        return new AttentionSpec(heads, headDim, defaultScale(headDim), List.of(), false);
    }

    /** {@code heads·headDim}: the width of q, k, v and of the output rows. */
    public int width() {
        return heads * headDim;
    }

    /** The identity mixing (no branch). */
    public boolean isIdentity() {
        return branches.isEmpty();
    }

    /** Column of head {@code head} of {@code part} in a packed {@code [q | k | v]} row. */
    public int column(Part part, int head) {
        return part.ordinal() * width() + head * headDim;
    }
}
