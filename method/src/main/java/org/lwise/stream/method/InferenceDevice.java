package org.lwise.stream.method;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The device a model runs on, from the {@code worker.device} setting: {@code auto} (the first GPU
 * the PyTorch engine sees, else the CPU), {@code cpu}, {@code gpu} or {@code gpu:N}. One worker
 * process per GPU: give each its own {@code gpu:N}, or the same setting and its own {@code
 * CUDA_VISIBLE_DEVICES}.
 */
public final class InferenceDevice {
  public static final String AUTO = "auto";
  private static final Pattern SETTING = Pattern.compile("auto|cpu|gpu(?::(\\d+))?");

  private InferenceDevice() {}

  /** Whether {@code setting} is one of the accepted forms. */
  public static boolean isValid(String setting) {
    return setting != null && SETTING.matcher(setting).matches();
  }

  /** The device for {@code setting} on this machine. */
  public static Device select(String setting) {
    return select(setting, Engine.getEngine("PyTorch").getGpuCount());
  }

  /**
   * The device for {@code setting} given the GPUs the engine sees; a GPU that is not there is an
   * error.
   */
  static Device select(String setting, int gpus) {
    Matcher m = SETTING.matcher(setting == null ? "" : setting);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "device '" + setting + "' is not one of auto, cpu, gpu, gpu:N");
    }
    if (setting.equals(AUTO)) {
      return gpus > 0 ? Device.gpu(0) : Device.cpu();
    }
    if (setting.equals("cpu")) {
      return Device.cpu();
    }
    int index = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
    if (index >= gpus) {
      throw new IllegalArgumentException(
          "device "
              + setting
              + " asked for, but the PyTorch engine sees "
              + gpus
              + " GPU(s): the build carries DJL's CPU natives unless built with -Pcuda (README \"GPU build\"), or no CUDA device"
              + " is visible");
    }
    return Device.gpu(index);
  }
}
