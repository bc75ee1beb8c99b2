package org.lwise.stream.aggregator.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.lwise.stream.aggregator.api.DatasetCatalog.Image;

/**
 * Curriculum selection as the published L-WISE trial generator does it ({@code
 * difficulty_curriculum_sample_block}): per class (and split), the images sorted by difficulty, the
 * easiest {@code round(n · fraction)} of them kept — Python's round, halves to even — and {@code
 * per_class} drawn from those without replacement. Each block draws on its own, as the generator's
 * blocks do. The draw is seeded per (seed, block, class), so a request is repeatable on the same
 * data; it is not numpy's random stream, so it does not reproduce a published session's exact
 * picks, only how they are picked.
 */
final class Curriculum {
  private Curriculum() {}

  /**
   * One training block: the easiest fraction of each class it draws from, and whose URLs it shows.
   */
  record Block(double easiest, String condition) {}

  /** A block's picks: per class, in class order, easiest first within a class. */
  record Selection(Block block, List<Image> images) {}

  static List<Selection> select(
      List<Image> images,
      List<String> classes,
      String split,
      int perClass,
      List<Block> blocks,
      long seed) {
    List<Selection> selections = new ArrayList<>();
    for (int b = 0; b < blocks.size(); b++) {
      Block block = blocks.get(b);
      List<Image> picks = new ArrayList<>();
      for (String className : classes) {
        List<Image> pool =
            images.stream()
                .filter(image -> image.className().equals(className))
                .filter(image -> split == null || split.equals(image.split()))
                .filter(
                    image ->
                        image.difficulty() != null && image.urls().containsKey(block.condition()))
                .sorted(Comparator.comparing(Image::difficulty)) // stable: ties keep dirmap order
                .toList();
        int easiest = (int) Math.rint(pool.size() * block.easiest());
        if (perClass > easiest) {
          throw ApiException.badRequest(
              "per_class="
                  + perClass
                  + " is more than the easiest "
                  + block.easiest()
                  + " of class '"
                  + className
                  + "'"
                  + (split == null ? "" : " in split " + split)
                  + " holds ("
                  + easiest
                  + " of "
                  + pool.size()
                  + " images"
                  + (block.condition().equals("natural")
                      ? ""
                      : " with condition " + block.condition())
                  + ")");
        }
        List<Image> candidates = new ArrayList<>(pool.subList(0, easiest));
        Collections.shuffle(candidates, new Random(Objects.hash(seed, b, className)));
        List<Image> drawn = new ArrayList<>(candidates.subList(0, perClass));
        drawn.sort(Comparator.comparing(Image::difficulty));
        picks.addAll(drawn);
      }
      selections.add(new Selection(block, picks));
    }
    return selections;
  }
}
