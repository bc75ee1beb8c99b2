package org.lwise.stream.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debian's Chromium, headless, driven by Selenium through Debian's chromedriver, for browser tests
 * (the demo experiment page). Nothing is downloaded: both binaries are given by path, so Selenium
 * Manager is never asked for a driver or a browser. Each instance has a fresh profile, deleted on
 * {@link #close()}.
 *
 * <p>Call {@link #start()} (or {@link #assumeInstalled()}) from a test or {@code @BeforeEach}, not
 * from {@code @BeforeAll}: Surefire reports an assumption failed in {@code @BeforeAll} as no tests
 * at all, without the reason.
 *
 * <pre>{@code
 * try (HeadlessChromium chromium = HeadlessChromium.start()) {   // skips the test without Chromium
 *   chromium.open(url);
 *   chromium.waitFor(Duration.ofSeconds(20), d -> chromium.script("return window.done === true"));
 *   chromium.screenshot(Path.of("target", "page.png"));
 *   assertThat(chromium.consoleErrors()).isEmpty();
 * }
 * }</pre>
 */
public final class HeadlessChromium implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HeadlessChromium.class);

  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private final ChromeDriverService service;
  private final ChromeDriver driver;
  private final Path profile;
  // The browser log is handed out once by chromedriver: keep every entry for later assertions.
  private final List<LogEntry> console = new ArrayList<>();

  private HeadlessChromium(ChromeDriverService service, ChromeDriver driver, Path profile) {
    this.service = service;
    this.driver = driver;
    this.profile = profile;
  }

  /** Skips the calling test (a JUnit assumption) unless Chromium and its driver are installed. */
  public static void assumeInstalled() {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "browser test skipped: needs "
            + CHROMIUM
            + " and "
            + CHROMEDRIVER
            + " (Debian packages chromium and chromium-driver; .ci/run installs them)");
  }

  /** Starts a headless browser, or skips the calling test when none is installed. */
  public static HeadlessChromium start() {
    assumeInstalled();
    Path profile;
    try {
      profile = Files.createTempDirectory("lwise-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // The driver by path (builder and system property), the browser by path: Selenium Manager,
    // which would otherwise look both up and may download them, is never run.
    System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.toString());
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox", // containers run as root, where Chromium's sandbox cannot start
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        // No calls home: updates, sync, field trials, safe browsing lists.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        "--user-data-dir=" + profile);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    try {
      ChromeDriver driver = new ChromeDriver(service, options);
      driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
      return new HeadlessChromium(service, driver, profile);
    } catch (RuntimeException e) {
      service.stop();
      deleteTree(profile);
      throw e;
    }
  }

  public WebDriver driver() {
    return driver;
  }

  public void open(String url) {
    driver.get(url);
  }

  /** Runs JavaScript in the page; a {@code return} value comes back as Selenium converts it. */
  public Object script(String javascript, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(javascript, args);
  }

  /**
   * Waits until {@code condition} returns neither null nor false, and returns its value; on a
   * timeout, the message carries the page's URL and console so far.
   */
  public <T> T waitFor(Duration timeout, Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, timeout, Duration.ofMillis(100))
        .withMessage(() -> "page " + driver.getCurrentUrl() + ", console " + consoleLog())
        .until(condition::apply);
  }

  /** Every browser console entry so far (page logs, uncaught errors, failed loads). */
  public List<LogEntry> consoleLog() {
    console.addAll(driver.manage().logs().get(LogType.BROWSER).getAll());
    return List.copyOf(console);
  }

  /** Forgets the console entries so far, e.g. before the next page of a test. */
  public void clearConsole() {
    consoleLog();
    console.clear();
  }

  /** The console entries at error level (SEVERE), as "message" strings. */
  public List<String> consoleErrors() {
    return consoleLog().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .map(LogEntry::getMessage)
        .toList();
  }

  /**
   * Saves the visible page as a PNG (parent folders created), e.g. under target/ as a test
   * artifact.
   */
  public Path screenshot(Path png) {
    try {
      Path parent = png.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
      Files.move(shot, png, StandardCopyOption.REPLACE_EXISTING);
      return png;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
      deleteTree(profile);
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) return;
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      // Chromium may still be writing its profile while it exits; a leftover temp folder is
      // harmless.
      LOG.warn("could not delete browser profile {}: {}", root, e.toString());
    }
  }
}
