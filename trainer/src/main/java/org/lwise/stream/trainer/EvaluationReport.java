package org.lwise.stream.trainer;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/** Writes an evaluation as a confusion-matrix CSV and a PNG picture of it. */
public final class EvaluationReport {
  private EvaluationReport() {}

  public static void writeConfusionCsv(
      ModelEvaluator.Evaluation e, List<String> classNames, Path file) {
    StringBuilder text = new StringBuilder();
    int k = e.confusion().length;
    try (CSVPrinter csv =
        new CSVPrinter(text, CSVFormat.DEFAULT.builder().setRecordSeparator("\n").get())) {
      csv.print("true\\predicted");
      for (int j = 0; j < k; j++) {
        csv.print(name(classNames, j));
      }
      csv.println();
      for (int i = 0; i < k; i++) {
        csv.print(name(classNames, i));
        for (int j = 0; j < k; j++) {
          csv.print(e.confusion()[i][j]);
        }
        csv.println();
      }
    } catch (IOException ex) {
      throw new UncheckedIOException(ex); // a StringBuilder does not fail
    }
    write(file, text.toString());
  }

  public static void writeConfusionPng(
      ModelEvaluator.Evaluation e, List<String> classNames, String title, Path file) {
    int k = e.confusion().length;
    int cell = 44;
    int left = 120;
    int top = 70;
    BufferedImage image =
        new BufferedImage(left + k * cell + 20, top + k * cell + 110, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString(title, 10, 20);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(
        String.format(
            Locale.ROOT,
            "clean accuracy %.3f   adversarial (eps %s, %d steps) %.3f   gt-logit AUROC %.3f",
            e.cleanAccuracy(),
            e.eps(),
            e.steps(),
            e.adversarialAccuracy(),
            e.gtLogitAuroc()),
        10,
        40);
    g.drawString("predicted →", left, top - 8);
    for (int i = 0; i < k; i++) {
      int rowTotal = 0;
      for (int j = 0; j < k; j++) {
        rowTotal += e.confusion()[i][j];
      }
      g.setColor(Color.BLACK);
      g.drawString(shorten(name(classNames, i)), 8, top + i * cell + cell / 2 + 4);
      for (int j = 0; j < k; j++) {
        double share = rowTotal == 0 ? 0 : (double) e.confusion()[i][j] / rowTotal;
        int shade = (int) Math.round(255 * (1 - share));
        g.setColor(new Color(shade, shade, 255));
        g.fillRect(left + j * cell, top + i * cell, cell, cell);
        g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
        g.drawString(
            String.valueOf(e.confusion()[i][j]),
            left + j * cell + 6,
            top + i * cell + cell / 2 + 4);
      }
    }
    g.setColor(Color.GRAY);
    g.setStroke(new BasicStroke(1));
    g.drawRect(left, top, k * cell, k * cell);
    g.setColor(Color.BLACK);
    for (int j = 0; j < k; j++) {
      Graphics2D rotated = (Graphics2D) g.create();
      rotated.translate(left + j * cell + cell / 2 + 4, top + k * cell + 8);
      rotated.rotate(Math.PI / 2);
      rotated.drawString(shorten(name(classNames, j)), 0, 0);
      rotated.dispose();
    }
    g.dispose();
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      ImageIO.write(image, "png", file.toFile());
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot write " + file, ex);
    }
  }

  private static String name(List<String> classNames, int i) {
    return i < classNames.size() ? classNames.get(i) : String.valueOf(i);
  }

  private static String shorten(String name) {
    return name.length() > 14 ? name.substring(0, 13) + "…" : name;
  }

  private static void write(Path file, String text) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
