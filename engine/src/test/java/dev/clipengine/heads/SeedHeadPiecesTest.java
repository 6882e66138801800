package dev.clipengine.heads;

import dev.clipengine.Fixtures;
import dev.clipengine.weights.Json;
import dev.clipengine.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The small pieces of the seed heads on hand-computed cases and the fixtures' resize table. */
class SeedHeadPiecesTest {

    @Test
    void reclipResizeSizesMatchTheReferenceTable() throws IOException {
        // [h, w, short side, new h, new w] from the reference's val_preprocess (2048 cap included)
        try (SafetensorsFile g = SafetensorsFile.open(Fixtures.seedHead("reclip-tiny").resolve("golden.safetensors"))) {
            List<?> cases = (List<?>) Json.parse(g.metadata().get("resize_cases"));
            assertTrue(cases.size() >= 20);
            for (Object o : cases) {
                List<?> c = (List<?>) o;
                int h = num(c, 0), w = num(c, 1), s = num(c, 2);
                SeedPreprocess.Size r = SeedPreprocess.reclip(w, h, s, 2048);
                assertEquals(num(c, 3), r.height(), "height of " + c);
                assertEquals(num(c, 4), r.width(), "width of " + c);
            }
        }
    }

    static int num(List<?> l, int i) {
        return ((Number) l.get(i)).intValue();
    }

    @Test
    void mmsegMinSizeMakesTheShortSideExactAndHasNoCap() {
        // 160x120 to short side 128: sf = 128/120, 160·1.0667 = 170.67 -> 171
        assertEquals(new SeedPreprocess.Size(171, 128), SeedPreprocess.mmsegMinSize(160, 120, 128));
        // 400x60 to 512: 400·512/60 = 3413.3 -> 3413, no 2048 cap (unlike ReCLIP)
        assertEquals(new SeedPreprocess.Size(3413, 512), SeedPreprocess.mmsegMinSize(400, 60, 512));
        assertEquals(new SeedPreprocess.Size(512, 683), SeedPreprocess.mmsegMinSize(375, 500, 512));
    }

    @Test
    void normalisationIsOpenCvs() {
        var img = new dev.clipengine.image.RgbImage(2, 1, new byte[] {0, (byte) 128, (byte) 255, 10, 20, 30});
        float[] x = SeedPreprocess.normalise(img, SeedPreprocess.IMAGENET_MEAN, SeedPreprocess.IMAGENET_STD, 2, 3);
        // [3, padH 2, padW 3]; pixel (0,0) R = (0 - 123.675) / 58.395; padding stays 0
        assertEquals((float) ((0f - 123.675f) * (1.0 / 58.395f)), x[0], 0f);
        assertEquals((float) ((128f - 116.28f) * (1.0 / 57.12f)), x[6], 0f);
        assertEquals(0f, x[2], 0f);
        assertEquals(0f, x[3], 0f);
    }

    @Test
    void configScanFindsTheValuesAndNothingElse() {
        String text = """
                base_class = [0, 1, 2, 5]
                model = dict(backbone=dict(type='VPTCLIPVisionTransformer', width=768, heads=12, layers=12),
                    text_encoder=dict(type='CLIPTextEncoder', transformer_width=512, transformer_heads=8),
                    decode_head=dict(type='ATMSingleHeadSeg', num_heads=8, use_proj=False),
                    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(426, 426)), self_training=True)
                test_pipeline = [dict(type='Resize', keep_ratio=True, min_size=512)]
                """;
        MmsegConfig c = MmsegConfig.parse(text);
        assertEquals(512, c.crop());
        assertEquals(426, c.stride());
        assertEquals(512, c.minSize());
        assertEquals(12, c.visionHeads());
        assertEquals(8, c.textHeads());
        assertEquals(8, c.decoderHeads());
        assertEquals(List.of(0, 1, 2, 5), c.baseClasses());
        assertTrue(c.selfTraining());
        assertNull(c.discriminate());
        MmsegConfig none = MmsegConfig.parse("");
        assertNull(none.crop());
        assertFalse(none.selfTraining());
    }

    @Test
    void transductiveConfigHasNoSeenClasses() throws IOException {
        try (SeedCheckpoint ck = SeedCheckpoint.of(java.nio.file.Path.of("x"), java.util.Map.of(), "self_training=True\nbase_class = [0, 1]\n")) {
            assertTrue(MmsegConfig.parse(ck.configText()).selfTraining());
        }
    }
}
