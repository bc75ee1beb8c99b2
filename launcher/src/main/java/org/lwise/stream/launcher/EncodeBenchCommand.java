package org.lwise.stream.launcher;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.RgbImage;
import org.lwise.stream.schema.ImageFormat;
import org.lwise.stream.worker.OutputEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lwise bench-encode}: output PNG size vs encoding CPU time, for the JDK's writer and each
 * row filter at several deflate levels, on the same images (e.g. a job's enhanced outputs), side by
 * side in one run. Every setting is lossless; this only picks {@code worker.png.filter} and {@code
 * worker.png.deflate.level}.
 */
@Command(
    name = "bench-encode",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark: output PNG size vs CPU time per image for each row filter and deflate level (and ImageIO).",
    footer = {
      "%nExamples:",
      "  lwise bench-encode --images lwise-out/fashion-mnist_4_0.5_8_logit --count 48 --levels 1,3,6,9"
    })
public final class EncodeBenchCommand implements Callable<Integer> {
  @Option(
      names = "--images",
      required = true,
      description = "folder of images to re-encode (searched recursively)")
  Path images;

  @Option(
      names = "--count",
      defaultValue = "64",
      description = "images to use (default ${DEFAULT-VALUE})")
  int count;

  @Option(
      names = "--levels",
      split = ",",
      defaultValue = "1,3,6,9",
      description = "deflate levels (default ${DEFAULT-VALUE})")
  List<Integer> levels;

  @Option(
      names = "--filters",
      split = ",",
      defaultValue = "none,sub,up,paeth,adaptive",
      description = "row filters (default ${DEFAULT-VALUE})")
  List<String> filters;

  @Option(
      names = "--rounds",
      defaultValue = "3",
      description =
          "passes over the images per setting; the fastest counts (default ${DEFAULT-VALUE})")
  int rounds;

  @Override
  public Integer call() throws Exception {
    List<RgbImage> decoded = new ArrayList<>();
    try (Stream<Path> files = Files.walk(images)) {
      for (Path file :
          files
              .filter(f -> f.toString().endsWith(".png") || f.toString().endsWith(".jpg"))
              .sorted()
              .limit(count)
              .toList()) {
        decoded.add(new ImageDecoder().decode(Files.readAllBytes(file)));
      }
    }
    if (decoded.isEmpty()) {
      throw new IllegalArgumentException("no .png or .jpg under " + images);
    }
    System.out.printf(
        Locale.ROOT,
        "%d images (%dx%d first) from %s; CPU time of this thread, best of %d rounds%n",
        decoded.size(),
        decoded.get(0).width(),
        decoded.get(0).height(),
        images,
        rounds);
    System.out.printf(
        Locale.ROOT,
        "%-10s %6s %14s %12s %10s%n",
        "filter",
        "level",
        "ms CPU/image",
        "KB/image",
        "vs imageio");
    double[] reference = measure(new OutputEncoder(), decoded);
    print(OutputEncoder.IMAGEIO, "9", reference, reference);
    for (String filter : filters) {
      for (int level : levels) {
        double[] r = measure(OutputEncoder.of(filter, level), decoded);
        print(filter, String.valueOf(level), r, reference);
      }
    }
    return 0;
  }

  private static void print(String filter, String level, double[] r, double[] reference) {
    System.out.printf(
        Locale.ROOT,
        "%-10s %6s %14.2f %12.1f %5.2fx size, %4.2fx time%n",
        filter,
        level,
        r[0],
        r[1],
        r[1] / reference[1],
        r[0] / reference[0]);
  }

  /** {ms CPU per image, KB per image}: the fastest of the rounds (the first also warms the JIT). */
  private double[] measure(OutputEncoder encoder, List<RgbImage> decoded) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    double best = Double.MAX_VALUE;
    long bytes = 0;
    for (int round = 0; round < rounds; round++) {
      bytes = 0;
      long cpu = threads.getCurrentThreadCpuTime();
      for (RgbImage image : decoded) {
        bytes += encoder.encode(image, "x.png", ImageFormat.PNG).bytes().length;
      }
      best = Math.min(best, (threads.getCurrentThreadCpuTime() - cpu) / 1e6 / decoded.size());
    }
    return new double[] {best, bytes / 1024.0 / decoded.size()};
  }
}
