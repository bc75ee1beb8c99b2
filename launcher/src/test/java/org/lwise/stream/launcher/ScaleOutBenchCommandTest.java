package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScaleOutBenchCommandTest {
  @Test
  void shouldFindTheLongestGapOverlappingTheWindowClippedToIt() {
    List<Long> times = List.of(0L, 100L, 200L, 900L, 1000L);
    assertThat(ScaleOutBenchCommand.longestGap(times, 0, 1000)).isEqualTo(700);
    // The 200..900 gap starts before the window: only its part inside counts.
    assertThat(ScaleOutBenchCommand.longestGap(times, 500, 1000)).isEqualTo(400);
    assertThat(ScaleOutBenchCommand.longestGap(times, 0, 150)).isEqualTo(100);
  }

  @Test
  void shouldCountAGapStillOpenAtTheWindowsEnd() {
    assertThat(ScaleOutBenchCommand.longestGap(List.of(0L, 100L), 50, 1000)).isEqualTo(900);
    assertThat(ScaleOutBenchCommand.longestGap(List.of(), 0, 1000)).isZero();
  }

  @Test
  void shouldCallAGroupSettledOnlyWhenStableWithEveryMemberHoldingItsTarget() {
    var stable = new ScaleOutBenchCommand.GroupView("Stable", 2, 2, 8, true);
    assertThat(stable.settled(2)).isTrue();
    assertThat(stable.settled(1)).isFalse();
    assertThat(new ScaleOutBenchCommand.GroupView("Stable", 2, 1, 8, true).settled(2)).isFalse();
    assertThat(new ScaleOutBenchCommand.GroupView("Stable", 2, 2, 8, false).settled(2)).isFalse();
    assertThat(new ScaleOutBenchCommand.GroupView("Reconciling", 2, 2, 8, true).settled(2))
        .isFalse();
  }
}
