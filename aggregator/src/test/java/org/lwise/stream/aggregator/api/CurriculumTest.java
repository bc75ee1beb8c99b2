package org.lwise.stream.aggregator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.lwise.stream.aggregator.api.DatasetCatalog.Image;
import org.lwise.stream.aggregator.api.DatasetCatalog.JobKey;

class CurriculumTest {
  /** {@code n} images of a class with difficulties 0, 1/n, 2/n, … in shuffled dirmap order. */
  private static List<Image> images(String className, int label, int n) {
    List<Image> images = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int rank = (i * 7) % n; // dirmap order is not difficulty order
      images.add(
          new Image(
              "j",
              label * 100L + i,
              false,
              className,
              label,
              "train",
              className + "/" + i,
              rank / (double) n,
              Map.of("natural", "n/" + i, "eps2", "e/" + i),
              JsonNodeFactory.instance.objectNode(),
              -rank,
              Map.of()));
    }
    return images;
  }

  @Test
  void drawsOnlyFromTheEasiestRoundedFractionOfEachClassEasiestFirst() {
    List<Image> all = new ArrayList<>(images("cat", 0, 10));
    all.addAll(images("dog", 1, 10));
    all.add(
        new Image(
            "j",
            999,
            false,
            "cat",
            0,
            "test",
            "cat/test",
            0.0,
            Map.of("natural", "t"),
            JsonNodeFactory.instance.objectNode(),
            0,
            Map.of()));
    Set<Long> seen = new HashSet<>();
    for (long seed = 0; seed < 50; seed++) {
      List<Curriculum.Selection> blocks =
          Curriculum.select(
              all,
              List.of("cat", "dog"),
              "train",
              2,
              List.of(new Curriculum.Block(0.25, "eps2")),
              seed);
      List<Image> picks = blocks.get(0).images();
      assertThat(picks).hasSize(4);
      assertThat(picks.subList(0, 2)).allMatch(i -> i.className().equals("cat"));
      assertThat(picks.subList(2, 4)).allMatch(i -> i.className().equals("dog"));
      // round(10 × 0.25) = round(2.5) = 2 (Python rounds halves to even): the two easiest.
      assertThat(picks).allMatch(i -> i.difficulty() < 0.2 && "train".equals(i.split()));
      assertThat(picks.get(0).difficulty()).isLessThan(picks.get(1).difficulty());
      picks.forEach(i -> seen.add(i.rowIndex()));
    }
    assertThat(seen).hasSize(4);
  }

  @Test
  void isRepeatableForASeedAndVariesAcrossSeeds() {
    List<Image> all = images("cat", 0, 40);
    List<Curriculum.Block> blocks =
        List.of(new Curriculum.Block(0.5, "natural"), new Curriculum.Block(1, "eps2"));
    var once = Curriculum.select(all, List.of("cat"), "train", 5, blocks, 42);
    var again = Curriculum.select(all, List.of("cat"), "train", 5, blocks, 42);
    var other = Curriculum.select(all, List.of("cat"), "train", 5, blocks, 43);
    assertThat(again).isEqualTo(once);
    assertThat(other).isNotEqualTo(once);
    assertThat(once.get(0).images()).allMatch(i -> i.difficulty() < 0.5);
    assertThat(once.get(1).images())
        .as("blocks draw on their own")
        .isNotEqualTo(once.get(0).images());
  }

  @Test
  void refusesMoreImagesThanTheFractionHoldsNamingTheClass() {
    assertThatThrownBy(
            () ->
                Curriculum.select(
                    images("cat", 0, 10),
                    List.of("cat"),
                    "train",
                    2,
                    List.of(new Curriculum.Block(0.1, "natural")),
                    1))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining(
            "per_class=2 is more than the easiest 0.1 of class 'cat' in split train holds (1 of 10 images)");
  }

  @Test
  void aDatasetsReferenceJobIsItsNewestFinishedJobElseItsNewestRunningOne() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    List<JobKey> jobs =
        List.of(
            new JobKey("old", "ham", false, true, t0),
            new JobKey("new-running", "ham", false, false, t0.plusSeconds(60)),
            new JobKey("old~watch-1", "ham", true, false, t0.plusSeconds(120)),
            new JobKey("only-running", "mhist", false, false, t0),
            new JobKey("a", "idaea", false, true, t0),
            new JobKey("b", "idaea", false, true, t0.plusSeconds(1)));
    assertThat(DatasetCatalog.references(jobs))
        .containsExactly(
            Map.entry("ham", "old"), Map.entry("idaea", "b"), Map.entry("mhist", "only-running"));
  }
}
