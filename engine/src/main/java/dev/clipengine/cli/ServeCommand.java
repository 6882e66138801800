package dev.clipengine.cli;

import dev.clipengine.model.ClipModel;
import dev.clipengine.serve.SegmentServer;
import dev.clipengine.serve.ServeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Segmentation as an HTTP service, with a page to try it at http://HOST:PORT/.",
                "",
                "POST /v1/segment (multipart/form-data: image, classes or vocabulary, and segment's options as parts: method, "
                        + "size, eps, …) answers JSON with the label map and overlay as base64 PNGs, or one PNG with "
                        + "?output=labels|overlay; the same inputs give the same label map as 'segment'. GET /v1/health, "
                        + "GET /v1/info, GET /metrics (Prometheus), GET /openapi.yaml.",
                "",
                "One model is loaded once; class text features are cached per vocabulary. SIGTERM (Ctrl-C) stops accepting, "
                        + "lets the requests in flight finish (--grace), then exits."},
        footerHeading = "%nEXAMPLES%n",
        footer = {
                "  java -jar engine.jar serve --model ViT-B/16",
                "  java -jar engine.jar serve --model b16.safetensors --port 9000 \\",
                "      --max-concurrent 2 --max-upload-mb 50",
                "",
                "  and from another shell:",
                "  curl -F image=@photo.jpg -F classes=road,car,sky \\",
                "      'http://127.0.0.1:8080/v1/segment?output=labels' > labels.png",
                "",
                "EXIT STATUS",
                "  0 after a clean stop (SIGTERM, Ctrl-C); 2 on bad arguments, an unusable",
                "  model or a port that cannot be bound (one line on stderr)."})
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDR",
            description = "Address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 exposes the service).")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "N", description = "TCP port (default 8080; 0 picks a free one).")
    int port;

    @Option(names = "--max-concurrent", defaultValue = "1", paramLabel = "N",
            description = "Segmentations running at once (default 1: each one already uses every core).")
    int maxConcurrent;

    @Option(names = "--queue", defaultValue = "16", paramLabel = "N",
            description = "Requests that may wait for a free slot (default 16); beyond that: 503 with Retry-After.")
    int queue;

    @Option(names = "--max-upload-mb", defaultValue = "20", paramLabel = "MB", description = "Largest request body in MiB (default 20).")
    long maxUploadMb;

    @Option(names = "--max-megapixels", defaultValue = "40", paramLabel = "MP",
            description = "Largest image by the pixel count its header declares, checked before decoding (default 40).")
    double maxMegapixels;

    @Option(names = "--timeout", defaultValue = "120", paramLabel = "S",
            description = "Seconds a request may take, queueing included (default 120); then 504.")
    int timeout;

    @Option(names = "--grace", defaultValue = "30", paramLabel = "S",
            description = "On shutdown, seconds the requests in flight may take to finish (default 30).")
    int grace;

    @Override
    public Integer call() throws Exception {
        if (maxUploadMb < 1 || maxUploadMb > 2000) throw new IllegalArgumentException("--max-upload-mb must be in 1..2000, got " + maxUploadMb);
        if (!(maxMegapixels > 0)) throw new IllegalArgumentException("--max-megapixels must be positive");
        ServeConfig config = new ServeConfig(host, port, maxConcurrent, queue, maxUploadMb << 20,
                (long) Math.ceil(maxMegapixels * 1e6), timeout, grace);
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        ClipModel clip = model.load(new Progress(err, "serve"));
        SegmentServer server;
        try {
            server = SegmentServer.start(config, clip, err);
        } catch (Exception e) {
            clip.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err.println("serve: stopping; finishing the requests in flight (up to " + grace + " s)");
            err.flush();
            server.close();
            err.println("serve: stopped");
            err.flush();
            stopped.countDown();
        }, "serve-shutdown"));
        // Started by the jar's Launcher, a SIGTERM to the launcher reaches this JVM as SIGTERM (the hook above
        // drains), and a launcher killed outright makes ChildJvm.exitWithLauncher exit this JVM, which runs the
        // same hook: the server never serves on as an orphan.
        var a = server.address();
        out.printf("serve: listening on http://%s:%d/ (model %s, %d at once, queue %d)%n",
                a.getAddress().getHostAddress(), a.getPort(), clip.describe(), maxConcurrent, queue);
        out.flush();
        stopped.await();   // the JVM exits when the shutdown hook has finished
        return 0;
    }
}
