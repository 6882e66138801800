package dev.clipengine.model;

import java.util.Objects;
import java.util.Set;

/**
 * What a mid-layer method reads from the blocks before the last (docs/mid-layer-methods.md). Blocks are numbered
 * 1..L as in the papers.
 *
 * @param interpolation how the positional embedding reaches the grid
 * @param streams       blocks whose residual stream Z_l (after the block, CLS row included) comes back
 * @param attention     blocks whose post-softmax attention probabilities ({@code [heads, n, n]}) come back
 */
public record TrunkRequest(PositionalInterpolation interpolation, Set<Integer> streams, Set<Integer> attention) {

    public TrunkRequest {
        Objects.requireNonNull(interpolation, "interpolation");
        streams = Set.copyOf(streams);
        attention = Set.copyOf(attention);
    }
}
