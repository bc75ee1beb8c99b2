package org.lwise.stream.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Keeps the console readable beside the progress bar: our warnings and everyone's errors. The log
 * file keeps everything.
 */
public final class ConsoleLogFilter extends Filter<ILoggingEvent> {
  @Override
  public FilterReply decide(ILoggingEvent event) {
    Level threshold = event.getLoggerName().startsWith("org.lwise") ? Level.WARN : Level.ERROR;
    return event.getLevel().isGreaterOrEqual(threshold) ? FilterReply.NEUTRAL : FilterReply.DENY;
  }
}
