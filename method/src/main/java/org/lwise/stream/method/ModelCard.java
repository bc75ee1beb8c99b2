package org.lwise.stream.method;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the pipeline must know about a model: its TorchScript file, input size and the normalization
 * applied in front of it (part of the model, not of preprocessing), and its classes. Stored as
 * {@code model-card.json} next to the {@code .pt} file.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelCard(
    @JsonProperty(value = "id", required = true) String id,
    @JsonProperty(value = "file", required = true) String file,
    @JsonProperty(value = "input_size", required = true) int inputSize,
    @JsonProperty(value = "mean", required = true) List<Double> mean,
    @JsonProperty(value = "std", required = true) List<Double> std,
    @JsonProperty(value = "num_classes", required = true) int numClasses,
    @JsonProperty("class_names") List<String> classNames,
    @JsonProperty("robust") boolean robust,
    @JsonProperty("training") Map<String, Object> training) {

  public static final String FILE_NAME = "model-card.json";

  public ModelCard {
    if (inputSize < 1) {
      throw new IllegalArgumentException("input_size must be >= 1");
    }
    if (mean.size() != 3 || std.size() != 3) {
      throw new IllegalArgumentException("mean and std need 3 values (R, G, B)");
    }
    if (std.stream().anyMatch(s -> !(s > 0))) {
      throw new IllegalArgumentException("std values must be > 0");
    }
    if (numClasses < 2) {
      throw new IllegalArgumentException("num_classes must be >= 2");
    }
    classNames = classNames == null ? List.of() : List.copyOf(classNames);
    // Keep the order fields were written in: the card is read by people too.
    training =
        training == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(training));
  }

  /** Reads a card; {@code path} is the card file or the folder holding {@value #FILE_NAME}. */
  public static ModelCard read(Path path) {
    Path file = Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
    try {
      return new ObjectMapper().readValue(file.toFile(), ModelCard.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read model card " + file + ": " + e.getMessage(), e);
    }
  }

  public void write(Path folder) {
    try {
      new ObjectMapper()
          .writerWithDefaultPrettyPrinter()
          .writeValue(folder.resolve(FILE_NAME).toFile(), this);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model card to " + folder, e);
    }
  }

  /** {@link #mean()} as the floats the model computes in. */
  public float[] meanFloats() {
    return floats(mean);
  }

  /** {@link #std()} as the floats the model computes in. */
  public float[] stdFloats() {
    return floats(std);
  }

  private static float[] floats(List<Double> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i).floatValue();
    }
    return out;
  }

  /** The folder of a card path (the card file's parent, or the folder itself). */
  public static Path folder(Path path) {
    return Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
  }
}
