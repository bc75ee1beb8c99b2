package org.lwise.stream.launcher;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lwise.stream.common.stage.Stage;
import org.lwise.stream.common.stage.StageActivity;
import org.lwise.stream.common.stage.StageRunner;
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
        "Publish rows as they are appended to a dirmap, scored against a finished reference job.",
    footer = {
      "%nExamples:",
      "  lwise watch --config lwise.properties --reference-job JOB --dirmap data/dirmap.csv --model models/robust",
      "  lwise watch --config lwise.properties --reference-job JOB --images-dir incoming --model models/robust"
    })
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
    Map<String, String> settings = StageSettings.load(config);
    FolderDirmap watchedFolder = folder;
    return new StageRunner(System.out, System.err)
        .runProcess(
            WatchStage.NAME,
            settings,
            metrics -> new WatchStage(new IngestApp(IngestConfig.from(settings)), watchedFolder));
  }

  /** The watcher as a stage: ready once it watches, its rows counted under its watch job. */
  private final class WatchStage implements Stage {
    static final String NAME = "watch";

    private final IngestApp ingest;
    private final DirmapWatcher watcher;

    WatchStage(IngestApp ingest, FolderDirmap folder) {
      this.ingest = ingest;
      try {
        this.watcher = ingest.watcher(job.toRequest(referenceJob), fromRow);
      } catch (RuntimeException e) {
        ingest.close();
        throw e;
      }
      if (folder != null) {
        watcher.watchingFolder(folder);
      }
    }

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public boolean isReady() {
      return watcher.started();
    }

    @Override
    public String describe() {
      return "watching "
          + job.dirmap.toAbsolutePath().normalize()
          + (imagesDir == null
              ? ""
              : " (files dropped into " + imagesDir.toAbsolutePath().normalize() + ")")
          + " as job "
          + watcher.jobId()
          + ", scored against job "
          + referenceJob
          + "; new rows from row "
          + watcher.published();
    }

    @Override
    public String unit() {
      return "rows";
    }

    @Override
    public StageActivity activity() {
      return () ->
          Map.of(
              watcher.jobId(),
              new StageActivity.JobCounts(
                  watcher.imagesPublished(), watcher.deadLettered(), false));
    }

    @Override
    public void run() {
      watcher.run();
    }

    @Override
    public void stop() {
      watcher.stop();
    }

    @Override
    public void close() {
      ingest.close();
    }
  }
}
