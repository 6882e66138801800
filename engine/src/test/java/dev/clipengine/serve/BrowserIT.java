package dev.clipengine.serve;

import dev.clipengine.weights.Json;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page at {@code /} driven in headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, which
 * {@code .ci/run} installs): pick the fixture image, type classes, segment, wait for the overlay, read the legend,
 * download the label map and compare it with what {@code segment} writes. Without a browser the test is skipped
 * (and fails under CI, where one must be present).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BrowserIT {

    static final String CLASSES = "road, car, sky, tree";

    static Path executable(String env, String... candidates) {
        String given = System.getenv(env);
        if (given != null && Files.isExecutable(Path.of(given))) return Path.of(given);
        for (String c : candidates) if (Files.isExecutable(Path.of(c))) return Path.of(c);
        return null;
    }

    @Test
    void segmentAnImageFromThePage(@TempDir Path tmp) throws Exception {
        Path chromium = executable("CHROME_BIN", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        Path chromedriver = executable("CHROMEDRIVER", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        if (chromium == null || chromedriver == null) {
            String missing = "no " + (chromium == null ? "chromium" : "chromedriver")
                    + " (apt-get install chromium chromium-driver, or set CHROME_BIN / CHROMEDRIVER)";
            if ("true".equals(System.getenv("CI"))) Assertions.fail("browser test cannot run under CI: " + missing + "; .ci/run installs them");
            System.err.println("!!! BROWSER TEST SKIPPED: " + missing);
            Assumptions.abort("BROWSER TEST SKIPPED: " + missing);
        }
        Path image = ServerProcess.fixtureImage();
        Path downloads = Files.createDirectories(tmp.resolve("downloads"));
        Path expected = tmp.resolve("segment");
        runSegment(image, expected);
        byte[] expectedLabels = Files.readAllBytes(expected.resolve("input.labels.png"));
        byte[] expectedOverlay = Files.readAllBytes(expected.resolve("input.overlay.png"));

        try (ServerProcess server = ServerProcess.start(List.of("-Xmx256m"))) {
            ChromeOptions options = new ChromeOptions();
            options.setBinary(chromium.toFile());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,1000", "--user-data-dir=" + tmp.resolve("profile"));
            options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(),
                    "download.prompt_for_download", false));
            // Chromium writes crash-report folders and a dconf cache under $HOME whatever --user-data-dir says:
            // give it the test's own folder as home, so that a test run leaves nothing outside it
            Path home = Files.createDirectories(tmp.resolve("home"));
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                    .withEnvironment(Map.of("HOME", home.toString(), "XDG_CONFIG_HOME", home.resolve(".config").toString(),
                            "XDG_CACHE_HOME", home.resolve(".cache").toString()))
                    .usingAnyFreePort().build();
            ChromeDriver driver = new ChromeDriver(service, options);
            try {
                driver.executeCdpCommand("Browser.setDownloadBehavior", Map.of("behavior", "allow", "downloadPath", downloads.toString()));
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(90));
                driver.get(server.base.toString());
                // the page filled its menus from /v1/info: one entry per method the server lists
                int methods = ((List<?>) ((Map<?, ?>) Json.parse(new String(server.get("v1/info").body(), StandardCharsets.UTF_8)))
                        .get("methods")).size();
                assertTrue(methods >= 9, "cliptrase, the six slide methods, scclip and resclip");
                wait.until(d -> new Select(d.findElement(By.id("method"))).getOptions().size() == methods);
                assertTrue(new Select(driver.findElement(By.id("vocabulary"))).getOptions().stream()
                        .anyMatch(o -> o.getText().equals("VOC20")), "CLIPtrase vocabularies listed");

                driver.findElement(By.id("file")).sendKeys(image.toAbsolutePath().toString());
                wait.until(d -> d.findElement(By.id("drop-text")).getText().equals("input.png"));

                // an error first: no classes → the server's message on the page, nothing drawn
                driver.findElement(By.id("submit")).click();
                WebElement error = wait.until(d -> {
                    WebElement e = d.findElement(By.id("error"));
                    return e.isDisplayed() ? e : null;
                });
                assertTrue(error.getText().contains("empty classes"), error.getText());
                assertTrue(!driver.findElement(By.id("result")).isDisplayed());

                driver.findElement(By.id("classes")).sendKeys(CLASSES);
                driver.findElement(By.cssSelector("details summary")).click();
                driver.findElement(By.id("size")).sendKeys("64");
                driver.findElement(By.id("submit")).click();
                WebElement overlay = wait.until(d -> {
                    WebElement o = d.findElement(By.id("overlay"));
                    Object w = ((JavascriptExecutor) d).executeScript("return arguments[0].complete && arguments[0].naturalWidth", o);
                    return o.isDisplayed() && w instanceof Number n && n.intValue() > 0 ? o : null;
                });
                assertTrue(!driver.findElement(By.id("error")).isDisplayed());

                // the overlay shown is segment's overlay
                String src = overlay.getAttribute("src");
                assertTrue(src.startsWith("data:image/png;base64,"), src.substring(0, Math.min(40, src.length())));
                assertArrayEquals(expectedOverlay, Base64.getDecoder().decode(src.substring(src.indexOf(',') + 1)));

                // the legend lists what the API says is present, in its order, with its colours and shares
                Map<?, ?> api = (Map<?, ?>) Json.parse(new String(server.post("v1/segment", new ServerProcess.Form()
                        .file("image", "input.png", Files.readAllBytes(image)).field("classes", CLASSES).field("size", "64")).body(), StandardCharsets.UTF_8));
                List<WebElement> items = driver.findElements(By.cssSelector("#legend li"));
                List<?> legend = (List<?>) api.get("legend");
                assertEquals(legend.size(), items.size(), "legend entries");
                assertTrue(!items.isEmpty());
                double total = 0;
                for (int i = 0; i < items.size(); i++) {
                    Map<?, ?> e = (Map<?, ?>) legend.get(i);
                    WebElement li = items.get(i);
                    assertEquals(e.get("name"), li.findElement(By.className("name")).getText());
                    assertTrue(List.of("road", "car", "sky", "tree").contains(li.findElement(By.className("name")).getText()));
                    assertEquals(String.format(java.util.Locale.ROOT, "%.1f %%", 100 * ((Number) e.get("fraction")).doubleValue()),
                            li.findElement(By.className("fraction")).getText());
                    assertEquals(rgb((String) e.get("color")), li.findElement(By.className("swatch")).getCssValue("background-color"));
                    total += ((Number) e.get("fraction")).doubleValue();
                }
                assertEquals(1.0, total, 1e-9, "the legend's shares cover the image");

                // download the label map through the page's link: the very bytes segment writes
                driver.findElement(By.id("download")).click();
                Path file = downloads.resolve("input.labels.png");
                new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> Files.exists(file) && !hasPartial(downloads));
                assertArrayEquals(expectedLabels, Files.readAllBytes(file), "downloaded label map differs from segment's");
            } finally {
                driver.quit();
            }
        }
    }

    private static boolean hasPartial(Path dir) {
        try (var files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".crdownload"));
        } catch (java.io.IOException e) {
            return true;
        }
    }

    /** {@code #rrggbb} as the browser reports a computed colour. */
    private static String rgb(String hex) {
        int v = Integer.parseInt(hex.substring(1), 16);
        return "rgba(" + (v >> 16) + ", " + ((v >> 8) & 255) + ", " + (v & 255) + ", 1)";
    }

    private static void runSegment(Path image, Path out) throws Exception {
        List<String> args = new ArrayList<>(List.of("segment", "--model", ServerProcess.model().toString(), "--image", image.toString(),
                "--classes", CLASSES, "--size", "64", "--out", out.toString()));
        Process p = new ProcessBuilder(ServerProcess.javaCommand(List.of(), args)).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
    }

}
