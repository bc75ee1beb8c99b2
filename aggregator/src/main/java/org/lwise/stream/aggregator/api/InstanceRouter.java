package org.lwise.stream.aggregator.api;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.lwise.stream.aggregator.AggregatorTopology;

/**
 * Which aggregator instance holds what (Kafka Streams' metadata, from each instance's {@code
 * application.server}) and the HTTP calls that ask another instance. A job and its watch jobs live
 * on the instance that owns their job group's partition; lists are gathered from all.
 */
final class InstanceRouter {
  /** Marks a request one instance sends another: answer from local state, never forward again. */
  static final String LOCAL_HEADER = "X-Lwise-Local";

  private final KafkaStreams streams;
  private final HostInfo self;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  InstanceRouter(KafkaStreams streams, HostInfo self) {
    this.streams = streams;
    this.self = self;
  }

  HostInfo self() {
    return self;
  }

  /** The other instances of this application that are up. */
  List<HostInfo> others() {
    return streams.metadataForAllStreamsClients().stream()
        .map(StreamsMetadata::hostInfo)
        .filter(host -> !host.equals(self) && host.port() > 0)
        .distinct()
        .toList();
  }

  /** The instance whose stores hold this job group; 503 while no instance does (rebalancing). */
  HostInfo ownerOf(String jobGroup) {
    KeyQueryMetadata metadata =
        streams.queryMetadataForKey(
            AggregatorTopology.JOBS_STORE, jobGroup, Serdes.String().serializer());
    if (metadata == null
        || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE)
        || metadata.activeHost().port() <= 0) {
      throw ApiException.unavailable(
          "no aggregator instance holds job "
              + jobGroup
              + " right now (rebalancing); "
              + "retry in a few seconds");
    }
    return metadata.activeHost();
  }

  /** POSTs JSON to another instance, which answers from its own state. */
  HttpResponse<byte[]> post(HostInfo host, String path, String json) {
    return send(
        HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
            .header(LOCAL_HEADER, "true")
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        host);
  }

  /** GETs a path (with its query) from another instance, which answers from its own state. */
  HttpResponse<byte[]> get(HostInfo host, String pathAndQuery) {
    return get(host, pathAndQuery, true);
  }

  /**
   * @param local whether the instance answers from its own state, or as any client's request
   *     (routed)
   */
  HttpResponse<byte[]> get(HostInfo host, String pathAndQuery, boolean local) {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://" + host.host() + ":" + host.port() + pathAndQuery))
            .header(LOCAL_HEADER, String.valueOf(local))
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build();
    return send(request, host);
  }

  private HttpResponse<byte[]> send(HttpRequest request, HostInfo host) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw ApiException.unavailable(
          "aggregator instance "
              + host.host()
              + ":"
              + host.port()
              + " that holds this data did not answer ("
              + e.getMessage()
              + "); retry in a few seconds");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiException.unavailable("interrupted while asking aggregator instance " + host);
    }
  }
}
