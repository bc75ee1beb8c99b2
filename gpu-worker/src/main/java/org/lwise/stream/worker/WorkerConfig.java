package org.lwise.stream.worker;

import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.lwise.stream.common.ConnectionConfig;
import org.lwise.stream.method.ImageDecoder;
import org.lwise.stream.method.InferenceDevice;

/** Configuration of one gpu-worker process (one per device). */
public record WorkerConfig(
    ConnectionConfig connection,
    Path modelCard,
    String groupId,
    int maxBatchSize,
    long maxBatchWaitMs,
    int codecThreads,
    boolean shareTrajectories,
    String device,
    long maxImagePixels,
    int pipelineDepth,
    String pngFilter,
    int pngDeflateLevel) {

  public static final String MODEL_CARD = "worker.model.card";
  public static final String GROUP_ID = "worker.group.id";
  public static final String MAX_BATCH_SIZE = "worker.max.batch.size";
  public static final String MAX_BATCH_WAIT_MS = "worker.max.batch.wait.ms";
  public static final String CODEC_THREADS = "worker.codec.threads";
  public static final String SHARE_TRAJECTORIES = "worker.share.trajectories";
  public static final String DEVICE = "worker.device";
  public static final String MAX_IMAGE_PIXELS = "worker.max.image.pixels";
  public static final String PIPELINE_DEPTH = "worker.pipeline.depth";
  public static final String PNG_FILTER = "worker.png.filter";
  public static final String PNG_DEFLATE_LEVEL = "worker.png.deflate.level";

  public static final ConfigDef DEFINITION =
      ConnectionConfig.define(new ConfigDef())
          .define(
              MODEL_CARD,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "model-card.json of the TorchScript model (or its folder)")
          .define(
              GROUP_ID,
              Type.STRING,
              "lwise-gpu-worker",
              Importance.MEDIUM,
              "consumer group; every worker process of one pipeline shares it")
          .define(
              MAX_BATCH_SIZE,
              Type.INT,
              32,
              ConfigDef.Range.between(1, 4096),
              Importance.MEDIUM,
              "most images per micro-batch and trajectories per model pass")
          .define(
              MAX_BATCH_WAIT_MS,
              Type.LONG,
              200L,
              ConfigDef.Range.atLeast(0),
              Importance.MEDIUM,
              "longest a partial micro-batch waits for more images")
          .define(
              CODEC_THREADS,
              Type.INT,
              2,
              ConfigDef.Range.between(1, 256),
              Importance.LOW,
              "threads decoding and encoding images beside the inference thread")
          .define(
              SHARE_TRAJECTORIES,
              Type.BOOLEAN,
              true,
              Importance.LOW,
              "compute eps-sweep conditions that cannot reach their projection from one trajectory (identical results)")
          .define(
              DEVICE,
              Type.STRING,
              InferenceDevice.AUTO,
              (name, value) -> {
                if (!InferenceDevice.isValid((String) value)) {
                  throw new ConfigException(name, value, "must be auto, cpu, gpu or gpu:N");
                }
              },
              Importance.MEDIUM,
              "device of the model: auto (first GPU the engine sees, else CPU), cpu, gpu, gpu:N")
          .define(
              MAX_IMAGE_PIXELS,
              Type.LONG,
              ImageDecoder.DEFAULT_MAX_PIXELS,
              ConfigDef.Range.between(1, ImageDecoder.LARGEST_MAX_PIXELS),
              Importance.LOW,
              "images declaring more pixels (width x height) fail as bad input before they are decoded,"
                  + " so a decompression bomb cannot exhaust the worker's memory")
          .define(
              PIPELINE_DEPTH,
              Type.INT,
              3,
              ConfigDef.Range.between(0, 64),
              Importance.LOW,
              "micro-batches in flight between the model and the commits (one in the model, the others waiting or"
                  + " being encoded and committed); 0 runs the model, the encoding and the commit one after another")
          .define(
              PNG_FILTER,
              Type.STRING,
              "up",
              ConfigDef.ValidString.in(
                  "none", "sub", "up", "average", "paeth", "adaptive", OutputEncoder.IMAGEIO),
              Importance.LOW,
              "PNG row filter of output images (lossless whatever it is; size vs CPU, see README Benchmarks);"
                  + " imageio = the JDK's writer (adaptive, level 9)")
          .define(
              PNG_DEFLATE_LEVEL,
              Type.INT,
              1,
              ConfigDef.Range.between(0, 9),
              Importance.LOW,
              "deflate level of output PNGs: 1 fastest, 9 smallest");

  public static WorkerConfig from(Map<String, ?> props) {
    AbstractConfig parsed = new AbstractConfig(DEFINITION, props, false);
    return new WorkerConfig(
        ConnectionConfig.from(parsed),
        Path.of(parsed.getString(MODEL_CARD)),
        parsed.getString(GROUP_ID),
        parsed.getInt(MAX_BATCH_SIZE),
        parsed.getLong(MAX_BATCH_WAIT_MS),
        parsed.getInt(CODEC_THREADS),
        parsed.getBoolean(SHARE_TRAJECTORIES),
        parsed.getString(DEVICE),
        parsed.getLong(MAX_IMAGE_PIXELS),
        parsed.getInt(PIPELINE_DEPTH),
        parsed.getString(PNG_FILTER),
        parsed.getInt(PNG_DEFLATE_LEVEL));
  }
}
