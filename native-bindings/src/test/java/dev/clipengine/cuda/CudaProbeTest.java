package dev.clipengine.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaProbeTest {

    @Test
    void withoutADriverTheProbeSaysSoInOneLine() {
        Assumptions.assumeFalse(CudaDriver.open().driver() != null,
                "libcuda.so.1 is present on this machine; the no-driver path cannot be exercised here");
        CudaProbe.Report r = CudaProbe.probe(0, CudaProbe.Requirements.ANY);
        assertFalse(r.usable());
        assertEquals("no CUDA driver: libcuda.so.1 not found", r.line());
        assertNull(r.device());
    }

    @Test
    void reportLineIsASingleLineWhateverTheMachine() {
        CudaProbe.Report r = CudaProbe.probe(0, new CudaProbe.Requirements(8, 0, 11080, "the engine's PTX"));
        assertNotNull(r.line());
        assertFalse(r.line().isBlank());
        assertFalse(r.line().contains("\n"), r.line());
        if (r.usable()) {
            assertTrue(r.line().startsWith("cuda:0 "), r.line());
        }
    }

    @Test
    void sonamesAreChosenToSuitTheDriver() {
        String[] all = {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"};
        assertArrayEquals(all, CudaProbe.suited(all, 13));
        assertArrayEquals(new String[] {"libcublas.so.12", "libcublas.so.11"}, CudaProbe.suited(all, 12));
        assertArrayEquals(new String[] {"libcublas.so.11"}, CudaProbe.suited(all, 11));
        // nothing suits a CUDA 10 driver: try them all so the message names what is missing
        assertArrayEquals(all, CudaProbe.suited(all, 10));
    }

    @Test
    void versionStrings() {
        assertEquals("13.0", CudaRuntime.versionString(13000));
        assertEquals("12.4", CudaRuntime.versionString(12040));
        assertEquals("11.8", CudaRuntime.versionString(11080));
    }
}
