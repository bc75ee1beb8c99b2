package org.lwise.stream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class EmbeddedLogsTest {
  @Test
  void shouldSendTheBrokersAndS3ChatterToTheirOwnFilesAndKeepOurEventsInTheMainLog(
      @TempDir Path home) throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> mainLog = new ListAppender<>();
    mainLog.start();
    root.addAppender(mainLog);
    try {
      EmbeddedLogs.routeTo(home);
      LoggerFactory.getLogger("kafka.server.ReplicaManager")
          .error("OutOfOrderSequenceException: transactions v2 (expected, the client retries)");
      LoggerFactory.getLogger("state.change.logger").info("partition lwise.images-0 state change");
      LoggerFactory.getLogger("org.gaul.s3proxy.S3ProxyHandler")
          .error("NotImplemented: PutBucketPolicy");
      LoggerFactory.getLogger("org.lwise.stream.worker.WorkerPipeline").warn("our own event");
      assertThat(Files.readString(home.resolve("kafka.log")))
          .contains(
              "ERROR", "OutOfOrderSequenceException", "partition lwise.images-0 state change");
      assertThat(Files.readString(home.resolve("s3.log"))).contains("PutBucketPolicy");
      assertThat(mainLog.list)
          .extracting(ILoggingEvent::getFormattedMessage)
          .containsExactly("our own event");
    } finally {
      root.detachAppender(mainLog);
    }
  }
}
