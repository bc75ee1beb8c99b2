package org.lwise.stream.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void shouldGiveTheFileTheModeOfAnyNewFileOfThisProcessSoOthersCanReadIt() throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    // What the umask makes of a plain new file (rw-r--r-- under umask 022).
    Set<PosixFilePermission> umaskDefault =
        Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain")));

    Path image = dir.resolve("ham_natural/images/a.png");
    AtomicFiles.write(image, new byte[] {1, 2, 3});
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(image)))
        .isEqualTo(PosixFilePermissions.toString(umaskDefault));

    AtomicFiles.write(image, new byte[] {4});
    assertThat(Files.readAllBytes(image)).containsExactly(4);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(image)))
        .isEqualTo(PosixFilePermissions.toString(umaskDefault));
    try (var files = Files.list(image.getParent())) {
      assertThat(files).as("no temporary file left").containsExactly(image);
    }
  }

  @Test
  void shouldBeReadableByOthersUnderTheUsualUmask() throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Set<PosixFilePermission> umaskDefault =
        Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain")));
    assumeTrue(
        umaskDefault.contains(PosixFilePermission.OTHERS_READ), "umask lets others read new files");
    Path dirmap = dir.resolve("ham_natural_dirmap.json");
    AtomicFiles.write(dirmap, "[]".getBytes());
    assertThat(Files.getPosixFilePermissions(dirmap))
        .contains(
            PosixFilePermission.OWNER_READ,
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.OTHERS_READ);
  }
}
