package org.lwise.stream.launcher;

import java.nio.file.Path;
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
      description = "Run one gpu-worker (one per device).")
  static final class Worker extends StageCommand {
    @Option(names = "--model", description = "model card (overrides worker.model.card)")
    Path model;

    @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (overrides worker.device)")
    String device;

    @Override
    public Integer call() {
      Map<String, String> props = new java.util.HashMap<>(props());
      if (model != null) {
        props.put("worker.model.card", model.toString());
      }
      if (device != null) {
        props.put("worker.device", device);
      }
      WorkerApp.runUntilStopped(props);
      return 0;
    }
  }

  @Command(name = "uploader", mixinStandardHelpOptions = true, description = "Run the uploader.")
  static final class Uploader extends StageCommand {
    @Override
    public Integer call() {
      UploaderApp.runUntilStopped(props());
      return 0;
    }
  }

  @Command(
      name = "aggregator",
      mixinStandardHelpOptions = true,
      description = "Run the aggregator.")
  static final class Aggregator extends StageCommand {
    @Override
    public Integer call() throws InterruptedException {
      AggregatorApp.runUntilStopped(props());
      return 0;
    }
  }
}
