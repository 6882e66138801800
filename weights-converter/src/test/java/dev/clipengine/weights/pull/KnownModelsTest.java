package dev.clipengine.weights.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.clipengine.weights.pull.KnownModels.KnownModel;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KnownModelsTest {

    @Test
    void openAiChecksumsAreThePathComponentBeforeTheFileName() {
        for (KnownModel m : KnownModels.all()) {
            for (KnownModels.RemoteFile f : m.files()) {
                String[] parts = URI.create(f.url()).getPath().split("/");
                assertEquals(f.fileName(), parts[parts.length - 1]);
                if (f.url().startsWith(KnownModels.OPENAI_BASE)) {
                    assertEquals(parts[parts.length - 2], f.sha256(), m.name());
                    assertTrue(f.sha256().matches("[0-9a-f]{64}"));
                }
            }
        }
        assertEquals(8, KnownModels.all().size());
    }

    @Test
    void namesAndSlugs() {
        assertEquals("ViT-L/14@336px", KnownModels.find("vit-l-14-336px").orElseThrow().name());
        assertEquals("ViT-L-14-336px", KnownModels.find("ViT-L/14@336px").orElseThrow().slug());
        assertEquals("openai-clip-vit-base-patch16", KnownModels.find("openai/clip-vit-base-patch16").orElseThrow().slug());
        assertTrue(KnownModels.find("ViT-H/14").isEmpty());
    }

    @Test
    void baseUrlKeepsThePath() throws Exception {
        assertEquals(URI.create("http://127.0.0.1:8/clip/models/ab/ViT-B-16.pt"),
                Puller.url("https://openaipublic.azureedge.net/clip/models/ab/ViT-B-16.pt", "http://127.0.0.1:8"));
        assertEquals(URI.create("https://huggingface.co/x/resolve/main/a.json"), Puller.url("https://huggingface.co/x/resolve/main/a.json", null));
    }

    @Test
    void cacheLocation() {
        assertEquals(Path.of("/x"), ModelCache.locate(Path.of("/x"), Map.of("CLIP_ENGINE_CACHE", "/y"), "/home/u").dir());
        assertEquals(Path.of("/y"), ModelCache.locate(null, Map.of("CLIP_ENGINE_CACHE", "/y", "XDG_CACHE_HOME", "/z"), "/home/u").dir());
        assertEquals(Path.of("/z/clip-engine"), ModelCache.locate(null, Map.of("XDG_CACHE_HOME", "/z"), "/home/u").dir());
        assertEquals(Path.of("/home/u/.cache/clip-engine"), ModelCache.locate(null, Map.of("XDG_CACHE_HOME", "rel"), "/home/u").dir());
    }
}
