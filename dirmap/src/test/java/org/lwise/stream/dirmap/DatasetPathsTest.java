package org.lwise.stream.dirmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetPathsTest {
  @TempDir Path tmp;
  Path root;
  DatasetPaths paths;

  @BeforeEach
  void setUp() throws Exception {
    root = Files.createDirectories(tmp.resolve("dataset"));
    Files.createDirectories(root.resolve("images"));
    Files.writeString(root.resolve("images/a.png"), "x");
    Files.writeString(tmp.resolve("secret.txt"), "s");
    paths = new DatasetPaths(root);
  }

  @Test
  void shouldResolveRelativePathsIncludingWindowsSeparators() throws Exception {
    assertThat(paths.resolve("images/a.png")).isEqualTo(root.resolve("images/a.png").toRealPath());
    assertThat(paths.resolve("images\\a.png")).isEqualTo(root.resolve("images/a.png").toRealPath());
  }

  @Test
  void shouldRefusePathsLeavingTheDatasetFolder() throws Exception {
    assertThatThrownBy(() -> paths.resolve("../secret.txt"))
        .hasMessageContaining("outside the dataset folder");
    assertThatThrownBy(() -> paths.resolve("images/../../secret.txt"))
        .hasMessageContaining("outside the dataset folder");
    assertThatThrownBy(() -> paths.resolve(tmp.resolve("secret.txt").toString()))
        .hasMessageContaining("absolute");
    assertThatThrownBy(() -> paths.resolve("C:\\data\\a.png")).hasMessageContaining("absolute");
    Files.createSymbolicLink(root.resolve("images/link.png"), tmp.resolve("secret.txt"));
    assertThatThrownBy(() -> paths.resolve("images/link.png"))
        .hasMessageContaining("links outside");
  }

  @Test
  void shouldSayWhichFileIsMissing() {
    assertThatThrownBy(() -> paths.resolve("images/nope.png"))
        .isInstanceOf(DatasetPaths.BadPathException.class)
        .hasMessageContaining("image file not found")
        .hasMessageContaining("nope.png");
    assertThatThrownBy(() -> paths.resolve(" ")).hasMessageContaining("im_path is empty");
    assertThatThrownBy(() -> paths.resolve("images")).hasMessageContaining("not a regular file");
  }
}
