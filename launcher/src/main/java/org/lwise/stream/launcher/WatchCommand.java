package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lwise.stream.common.StageProcess;
import org.lwise.stream.ingest.DirmapWatcher;
import org.lwise.stream.ingest.FolderDirmap;
import org.lwise.stream.ingest.IngestApp;
import org.lwise.stream.ingest.IngestConfig;
import org.lwise.stream.method.ModelCard;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lwise watch}: ingest in watch mode against a running pipeline, until stopped. */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description =
        "Publish rows as they are appended to a dirmap, scored against a finished reference job.")
public final class WatchCommand implements Callable<Integer> {
  @Mixin JobOptions job = new JobOptions();

  @Option(
      names = "--config",
      required = true,
      description = "properties file with at least bootstrap.servers and registry.url")
  Path config;

  @Option(
      names = "--reference-job",
      required = true,
      description = "id of the finished job whose logit range scores new images")
  String referenceJob;

  @Option(
      names = "--from-row",
      description = "first row to publish on the first start (default: rows appended after it)")
  Long fromRow;

  @Option(
      names = "--images-dir",
      description =
          "watch this folder instead: files dropped as <folder>/<class id or name>/<file> "
              + "become rows of <folder>/dirmap.csv")
  Path imagesDir;

  @Override
  public Integer call() {
    FolderDirmap folder = null;
    if (imagesDir != null) {
      folder = new FolderDirmap(imagesDir, ModelCard.read(job.model).classNames());
      job.dirmap = folder.dirmap();
      folder.scan();
    }
    Map<String, String> props = StageSettings.load(config);
    try (IngestApp ingest = new IngestApp(IngestConfig.from(props))) {
      DirmapWatcher watcher = ingest.watcher(job.toRequest(referenceJob), fromRow);
      if (folder != null) {
        watcher.watchingFolder(folder);
      }
      System.err.println(
          "Watching " + job.dirmap + " as job " + watcher.jobId() + "; Ctrl-C to stop.");
      StageProcess.runUntilStopped("lwise-watch", watcher, watcher::stop, () -> {});
    }
    return 0;
  }
}
