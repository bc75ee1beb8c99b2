package org.lwise.stream.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Sends the embedded servers' own logging to their files under {@code <out>/.embedded/}: the
 * in-process broker's to {@code kafka.log}, S3Proxy's to {@code s3.log} (the registry, a child
 * process, writes {@code registry/registry.log} itself). {@code lwise.log} keeps this system's
 * events; the broker's state changes and the errors it logs for retriable client requests (e.g.
 * KAFKA-18202's OutOfOrderSequence on a first transactional write, answered by a client retry) are
 * its business.
 */
final class EmbeddedLogs {
  /**
   * The broker's loggers; client-side Kafka loggers (clients, streams, common) stay in lwise.log.
   */
  static final List<String> BROKER =
      List.of(
          "kafka",
          "state.change.logger",
          "org.apache.kafka.controller",
          "org.apache.kafka.storage",
          "org.apache.kafka.raft",
          "org.apache.kafka.server",
          "org.apache.kafka.metadata",
          "org.apache.kafka.image",
          "org.apache.kafka.coordinator",
          "org.apache.kafka.security");

  static final List<String> S3 = List.of("org.gaul", "org.jclouds", "jclouds");

  private static final String EMBEDDED = "embedded-";

  private EmbeddedLogs() {}

  /** Routes the servers' loggers into files under {@code home}; does nothing without logback. */
  static void routeTo(Path home) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    route(context, home.resolve("kafka.log"), BROKER, Level.INFO);
    route(context, home.resolve("s3.log"), S3, Level.INFO);
  }

  private static void route(LoggerContext context, Path file, List<String> loggers, Level level) {
    String name = EMBEDDED + file.getFileName();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setName(name);
    appender.setFile(file.toAbsolutePath().toString());
    appender.setEncoder(encoder);
    appender.start();
    for (String loggerName : loggers) {
      Logger logger = context.getLogger(loggerName);
      // Detached, not stopped: logback.xml's lwise.log appender is shared with every other logger.
      List<Appender<ILoggingEvent>> attached = new ArrayList<>();
      logger.iteratorForAppenders().forEachRemaining(attached::add);
      for (Appender<ILoggingEvent> old : attached) {
        logger.detachAppender(old);
        if (old.getName() != null && old.getName().startsWith(EMBEDDED)) {
          old.stop(); // an earlier run's file in this JVM (tests start servers more than once)
        }
      }
      logger.addAppender(appender);
      logger.setLevel(level);
      logger.setAdditive(false);
    }
  }
}
