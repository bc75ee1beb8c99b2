package org.lwise.stream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwise.stream.dirmap.Dirmap;
import org.lwise.stream.dirmap.DirmapReader;

class FolderDirmapTest {
  @Test
  void shouldListFilesOnceTheyStopGrowingWithTheirClassFromTheFolderName(@TempDir Path dir)
      throws Exception {
    FolderDirmap folder = new FolderDirmap(dir, List.of("akiec", "bcc", "nv"));
    Files.createDirectories(dir.resolve("2"));
    Files.createDirectories(dir.resolve("bcc"));
    Files.createDirectories(dir.resolve("unknown"));
    Files.writeString(dir.resolve("2/a.jpg"), "jpeg bytes");
    Files.writeString(dir.resolve("bcc/b.png"), "png bytes");
    Files.writeString(dir.resolve("unknown/c.png"), "png bytes");
    Files.writeString(dir.resolve("notes.txt"), "not an image");

    assertThat(folder.scan()).as("first sight: sizes not yet known to be stable").isZero();
    assertThat(folder.scan()).isEqualTo(3);
    assertThat(folder.scan()).as("each file once").isZero();

    Dirmap dirmap = new DirmapReader().read(folder.dirmap());
    assertThat(dirmap.header()).containsExactly("split", "class", "class_num", "im_path");
    assertThat(dirmap.rows())
        .extracting(r -> r.values().subList(1, 4))
        .containsExactly(
            List.of("nv", "2", "2/a.jpg"),
            Arrays.asList("bcc", "1", "bcc/b.png"),
            Arrays.asList("unknown", null, "unknown/c.png"));

    Files.writeString(dir.resolve("2/d.jpg"), "more");
    folder.scan();
    assertThat(folder.scan()).isEqualTo(1);
    assertThat(new DirmapReader().read(folder.dirmap()).rows()).hasSize(4);
  }
}
