package org.lwise.stream.launcher;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The model and the dirmap dataset the API benchmarks run on (a picocli mixin). */
final class BenchInputs {
  @Option(
      names = "--model",
      defaultValue = "${sys:lwise.home:-.}/demo/models/fashion-cnn-robust",
      description = "model card")
  Path model;

  @Option(
      names = "--images",
      defaultValue = "${sys:lwise.home:-.}/demo/fashion-mnist",
      description = "dataset folder with dirmap.csv")
  Path dataset;
}
