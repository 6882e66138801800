package dev.clipengine.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * The page and the API description, served from the jar's resources as they are: no build step, no CDN, so the page
 * works offline. A fixed list, so no request path ever reaches the class loader.
 */
final class StaticFiles {

    record File(String contentType, byte[] bytes) {
    }

    private static final Map<String, String[]> ROUTES = Map.of(
            "/", new String[] {"web/index.html", "text/html; charset=utf-8"},
            "/index.html", new String[] {"web/index.html", "text/html; charset=utf-8"},
            "/app.js", new String[] {"web/app.js", "text/javascript; charset=utf-8"},
            "/style.css", new String[] {"web/style.css", "text/css; charset=utf-8"},
            "/openapi.yaml", new String[] {"openapi.yaml", "application/yaml; charset=utf-8"});

    Optional<File> get(String path) {
        String[] r = ROUTES.get(path);
        if (r == null) return Optional.empty();
        try (InputStream in = StaticFiles.class.getResourceAsStream(r[0])) {
            if (in == null) throw new IllegalStateException("resource " + r[0] + " missing from the jar");
            return Optional.of(new File(r[1], in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
