package org.lwise.stream.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import org.lwise.stream.common.InfrastructureRetry;

/**
 * Keeps the console readable beside the progress bar: our warnings and everyone's errors. The log
 * file keeps everything.
 */
public final class ConsoleLogFilter extends Filter<ILoggingEvent> {
  private static final String QUIET = "lwise.console.quiet";

  /**
   * After Ctrl-C, clients of servers that are shutting down fail loudly; that is expected, so the
   * console stays quiet.
   */
  static void quietFromNowOn() {
    if (org.slf4j.LoggerFactory.getILoggerFactory()
        instanceof ch.qos.logback.classic.LoggerContext context) {
      context.putProperty(QUIET, "true");
    }
  }

  @Override
  public FilterReply decide(ILoggingEvent event) {
    if ("true".equals(event.getLoggerContextVO().getPropertyMap().get(QUIET))) {
      return FilterReply.DENY;
    }
    if (event.getLoggerName().equals(Launcher.class.getName())) {
      return FilterReply
          .DENY; // a failed command: Launcher has printed its one-line message already
    }
    if (event.getLoggerName().equals(InfrastructureRetry.class.getName())
        && event.getLevel() == Level.ERROR) {
      return FilterReply
          .DENY; // "still unreachable": the command that gives up says so in its one line
    }
    Level threshold = event.getLoggerName().startsWith("org.lwise") ? Level.WARN : Level.ERROR;
    return event.getLevel().isGreaterOrEqual(threshold) ? FilterReply.NEUTRAL : FilterReply.DENY;
  }
}
