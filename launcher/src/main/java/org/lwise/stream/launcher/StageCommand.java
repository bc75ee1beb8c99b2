package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lwise.stream.aggregator.AggregatorApp;
import org.lwise.stream.uploader.UploaderApp;
import org.lwise.stream.worker.WorkerApp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One stage as its own process, configured by a properties file and LWISE_* environment variables.
 */
abstract class StageCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      description = "properties file (keys in README; environment LWISE_* overrides it)")
  Path config;

  Map<String, String> props() {
    return StageSettings.load(config);
  }

  @Command(
      name = "worker",
      mixinStandardHelpOptions = true,
      description = "Run one gpu-worker (one per device).",
      footer = {
        "%nExamples:",
        "  lwise worker --config lwise-out/.embedded/connection.properties --model demo/models/fashion-cnn-robust",
        "  LWISE_METRICS_PORT=9401 lwise worker --config lwise.properties --device gpu:1"
      })
  static final class Worker extends StageCommand {
    @Option(names = "--model", description = "model card (overrides worker.model.card)")
    Path model;

    @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (overrides worker.device)")
    String device;

    @Override
    public Integer call() {
      Map<String, String> props = new HashMap<>(props());
      if (model != null) {
        props.put("worker.model.card", model.toString());
      }
      if (device != null) {
        props.put("worker.device", device);
      }
      return WorkerApp.runProcess(props);
    }
  }

  @Command(
      name = "uploader",
      mixinStandardHelpOptions = true,
      description = "Run the uploader.",
      footer = {"%nExample:", "  LWISE_METRICS_PORT=9402 lwise uploader --config lwise.properties"})
  static final class Uploader extends StageCommand {
    @Override
    public Integer call() {
      return UploaderApp.runProcess(props());
    }
  }

  @Command(
      name = "aggregator",
      mixinStandardHelpOptions = true,
      description = "Run the aggregator.",
      footer = {
        "%nExample:",
        "  LWISE_METRICS_PORT=9403 lwise aggregator --config lwise.properties"
      })
  static final class Aggregator extends StageCommand {
    @Override
    public Integer call() {
      return AggregatorApp.runProcess(props());
    }
  }
}
