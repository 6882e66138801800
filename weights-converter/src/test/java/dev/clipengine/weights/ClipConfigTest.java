package dev.clipengine.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClipConfigTest {

    static final ClipConfig B16 = new ClipConfig(512, 224, 16, 768, 12, 12, 3072, 77, 49408, 512, 12, 8, 2048);

    @Test
    void jsonRoundTripWithSnakeCaseKeys() {
        String json = B16.toJson();
        assertTrue(json.startsWith("{\"embed_dim\":512,\"image_size\":224,\"patch_size\":16,\"vision_width\":768"), json);
        for (String k : ClipConfig.KEYS) assertTrue(json.contains("\"" + k + "\":"), k);
        assertEquals(B16, ClipConfig.fromJson(json));
        assertEquals(B16, ClipConfig.fromJson(json.replace("{", "{\"future_key\": \"x\", ")));
    }

    @Test
    void validationMessagesAreOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClipConfig(512, 224, 16, 768, 12, 10, 3072, 77, 49408, 512, 12, 8, 2048));
        assertTrue(e.getMessage().contains("vision_width 768 is not divisible by vision_heads 10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClipConfig(512, 225, 16, 768, 12, 12, 3072, 77, 49408, 512, 12, 8, 2048));
        assertThrows(IllegalArgumentException.class, () -> new ClipConfig(0, 224, 16, 768, 12, 12, 3072, 77, 49408, 512, 12, 8, 2048));
        assertThrows(IllegalArgumentException.class, () -> B16.withHeads(12, 7));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClipConfig.fromJson("{\"embed_dim\":1}"))
                .getMessage().contains("missing 'image_size'"));
        assertThrows(IllegalArgumentException.class, () -> ClipConfig.fromJson(B16.toJson().replace("224", "224.5")));
        assertThrows(IllegalArgumentException.class, () -> ClipConfig.fromJson("[1]"));
        assertThrows(IllegalArgumentException.class, () -> ClipConfig.fromJson("{"));
    }

    @Test
    void shapesAndParameterCountOfViTB16() {
        assertEquals(12 * 12 + 12 * 12 + 14, B16.tensorShapes().size());
        assertEquals(197, B16.visionTokens());
        assertEquals(149_620_737L, B16.parameterCount()); // OpenAI ViT-B/16
    }
}
