package org.lwise.stream.trainer;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.lwise.stream.method.AscentResult;
import org.lwise.stream.method.L2ProjectedAscent;
import org.lwise.stream.method.Objective;
import org.lwise.stream.method.RgbImage;
import org.lwise.stream.method.RobustClassifier;
import org.lwise.stream.method.Trajectory;

/**
 * A picture of what enhancement does: one row per image, and for each model the original followed
 * by its enhancements at each eps (SPEC.md's loop, step 0.5, steps 2·eps), side by side.
 */
public final class EnhancementGrid {
  private EnhancementGrid() {}

  public static void write(
      List<RobustClassifier> models,
      LabeledImages images,
      List<Double> eps,
      Objective objective,
      Path file) {
    int size = images.imageSize();
    int scale = Math.max(1, 96 / size);
    int cell = size * scale;
    int gap = 6;
    int blockWidth = (eps.size() + 1) * (cell + gap) + 16;
    int top = 50;
    BufferedImage grid =
        new BufferedImage(
            10 + models.size() * blockWidth,
            top + images.size() * (cell + gap) + 10,
            BufferedImage.TYPE_INT_RGB);
    Graphics2D g = grid.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
    int[] all = new int[images.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    float[] x0 = images.batch(all);
    int pixels = 3 * size * size;
    for (int m = 0; m < models.size(); m++) {
      RobustClassifier model = models.get(m);
      int left = 10 + m * blockWidth;
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
      g.drawString(
          model.card().id() + (model.card().robust() ? " (robust)" : " (standard)"), left, 18);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      g.drawString("original", left, top - 8);
      for (int e = 0; e < eps.size(); e++) {
        g.drawString(
            String.format(Locale.ROOT, "eps %s", eps.get(e)),
            left + (e + 1) * (cell + gap),
            top - 8);
      }
      List<Trajectory> trajectories = new ArrayList<>();
      for (int i = 0; i < images.size(); i++) {
        List<Trajectory.Output> outputs = new ArrayList<>();
        for (double e : eps) {
          outputs.add(new Trajectory.Output("eps" + e, Math.max(1, (int) Math.rint(2 * e))));
        }
        // One trajectory per image: step 0.5 x 2 eps never reaches its projection, so the prefixes
        // are the sweep.
        double largest = eps.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        trajectories.add(
            new Trajectory(
                Arrays.copyOfRange(x0, i * pixels, (i + 1) * pixels),
                images.label(i),
                objective,
                0.5,
                false,
                largest,
                divergeSet(objective, images.label(i), model.card().numClasses()),
                outputs));
      }
      List<AscentResult> results = new L2ProjectedAscent(model).run(trajectories);
      for (int i = 0; i < images.size(); i++) {
        int y = top + i * (cell + gap);
        draw(g, RgbImage.fromChw(trajectories.get(i).x0(), size), left, y, cell);
        for (int e = 0; e < eps.size(); e++) {
          draw(
              g,
              RgbImage.fromChw(results.get(i).best().get(e), size),
              left + (e + 1) * (cell + gap),
              y,
              cell);
        }
      }
    }
    g.dispose();
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      ImageIO.write(grid, "png", file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static List<Integer> divergeSet(Objective objective, int label, int classes) {
    if (objective != Objective.LOGIT_DIVERGE) {
      return List.of();
    }
    List<Integer> others = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      if (c != label) {
        others.add(c);
      }
    }
    return others;
  }

  private static void draw(Graphics2D g, RgbImage image, int x, int y, int cell) {
    BufferedImage tile =
        new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
    for (int py = 0; py < image.height(); py++) {
      for (int px = 0; px < image.width(); px++) {
        tile.setRGB(
            px,
            py,
            (image.get(px, py, 0) << 16) | (image.get(px, py, 1) << 8) | image.get(px, py, 2));
      }
    }
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
    g.drawImage(tile, x, y, cell, cell, null);
  }
}
