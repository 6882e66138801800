package dev.clipengine.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --seen-classes} ranges and the methods the seed-head options serve. */
class SeedHeadOptionsTest {

    @Test
    void rangesBecomeAMask() {
        assertArrayEquals(new boolean[] {true, true, true, false, false}, SeedHeadOptions.parseSeen("0-2", 5));
        assertArrayEquals(new boolean[] {true, false, false, true, true}, SeedHeadOptions.parseSeen(" 0, 3-4 ", 5));
        assertArrayEquals(new boolean[] {false, false}, SeedHeadOptions.parseSeen("none", 2));
        assertArrayEquals(new boolean[] {true, true}, SeedHeadOptions.parseSeen("all", 2));
    }

    @Test
    void badRangesNameTheClassCount() {
        for (String bad : new String[] {"0-5", "3-1", "x", "-1", "2-"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SeedHeadOptions.parseSeen(bad, 5), bad);
            assertTrue(e.getMessage().contains("5 classes") && !e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void methods() {
        assertTrue(SeedHeadOptions.isSeedHead("ReCLIP++"));
        assertTrue(SeedHeadOptions.isSeedHead("zegclip"));
        assertTrue(SeedHeadOptions.isSeedHead("tagclip"));
        assertFalse(SeedHeadOptions.isSeedHead("sclip"));
        assertFalse(SeedHeadOptions.isSeedHead(null));
    }
}
