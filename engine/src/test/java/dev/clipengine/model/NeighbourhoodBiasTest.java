package dev.clipengine.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** NACLIP's Ω against the hand values of docs/training-free-methods.md App. C. */
class NeighbourhoodBiasTest {

    @Test
    void gaussianValuesAndClassTokenZeros() {
        int gh = 3, gw = 4, n = 1 + gh * gw;
        float[] omega = NeighbourhoodBias.of(gh, gw, 5.0);
        for (int i = 0; i < n; i++) {
            assertEquals(0f, omega[i], "CLS row");
            assertEquals(0f, omega[i * n], "CLS column");
        }
        // token 1 + r*gw + c
        int a = 1 + 1 * gw + 1;                               // patch (1, 1)
        assertEquals(1.0f, omega[a * n + a], "diagonal");
        assertEquals(0.9801987f, omega[a * n + (1 + 1 * gw + 2)], 1e-7f, "Δ = (0, 1)");
        assertEquals(0.9801987f, omega[a * n + (1 + 0 * gw + 1)], 1e-7f, "Δ = (1, 0)");
        assertEquals(0.9607894f, omega[a * n + (1 + 2 * gw + 2)], 1e-7f, "Δ = (1, 1)");
        assertEquals(0.9048374f, omega[a * n + (1 + 2 * gw + 3)], 1e-7f, "Δ = (1, 2)");
        // never truncated: the far corner still gets exp(-(2² + 3²)/50)
        assertEquals((float) Math.exp(-13 / 50.0), omega[1 * n + (1 + 2 * gw + 3)], 1e-7f);
    }
}
