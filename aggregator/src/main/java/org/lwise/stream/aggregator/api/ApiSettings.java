package org.lwise.stream.aggregator.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * Settings of the live difficulty API the aggregator serves.
 *
 * @param port -1 = no API; 0 = any free port
 * @param portChosen the port was set, not the default: when it is taken, starting fails rather than
 *     falling back to a free port
 * @param host the address it listens on
 * @param advertisedHost how the other aggregator instances reach this one (Kafka Streams' {@code
 *     application.server}), so that any instance answers for data another one holds
 * @param corsOrigins origins whose pages may call the API ({@code *} = any)
 * @param outcomesToken bearer token {@code POST /outcomes} requires (null: none)
 * @param outcomesMaxBytes largest request body {@code POST /outcomes} takes
 * @param calibrationMinTrials answers an image needs before it counts in the calibration
 * @param blendPriorTrials how many answers the calibrated prediction weighs in the blended order
 */
public record ApiSettings(
    int port,
    boolean portChosen,
    String host,
    String advertisedHost,
    List<String> corsOrigins,
    Password outcomesToken,
    int outcomesMaxBytes,
    int calibrationMinTrials,
    double blendPriorTrials) {
  public static final String PORT = "api.port";
  public static final String HOST = "api.host";
  public static final String ADVERTISED_HOST = "api.advertised.host";
  public static final String CORS_ORIGINS = "api.cors.origins";
  public static final String OUTCOMES_TOKEN = "api.outcomes.token";
  public static final String OUTCOMES_MAX_BYTES = "api.outcomes.max.bytes";
  public static final String CALIBRATION_MIN_TRIALS = "api.calibration.min.trials";
  public static final String BLEND_PRIOR_TRIALS = "api.blend.prior.trials";
  public static final int DEFAULT_PORT = 8090;

  public static ConfigDef define(ConfigDef def) {
    return def.define(
            PORT,
            Type.INT,
            DEFAULT_PORT,
            ConfigDef.Range.between(-1, 65535),
            Importance.HIGH,
            "port of the live difficulty HTTP API and demo experiment; 0 = any free port, -1 = no API")
        .define(
            HOST,
            Type.STRING,
            "127.0.0.1",
            Importance.MEDIUM,
            "address the API listens on; 0.0.0.0 = every interface (experiment servers on other machines)")
        .define(
            ADVERTISED_HOST,
            Type.STRING,
            "",
            Importance.MEDIUM,
            "host name other aggregator instances use to forward requests to this one; empty = api.host, "
                + "or this machine's name when api.host is 0.0.0.0")
        .define(
            CORS_ORIGINS,
            Type.LIST,
            "*",
            Importance.MEDIUM,
            "origins (scheme://host[:port]) whose pages may call the API from a browser; * = any")
        .define(
            OUTCOMES_TOKEN,
            Type.PASSWORD,
            null,
            Importance.MEDIUM,
            "bearer token POST /api/v1/outcomes requires (public experiment pages post there); empty = none")
        .define(
            OUTCOMES_MAX_BYTES,
            Type.INT,
            4 * 1024 * 1024,
            ConfigDef.Range.atLeast(1024),
            Importance.LOW,
            "largest request body POST /api/v1/outcomes accepts")
        .define(
            CALIBRATION_MIN_TRIALS,
            Type.INT,
            5,
            ConfigDef.Range.atLeast(1),
            Importance.LOW,
            "answers an image needs before it counts in the calibration (default of min_trials)")
        .define(
            BLEND_PRIOR_TRIALS,
            Type.DOUBLE,
            10.0,
            ConfigDef.Range.atLeast(0),
            Importance.LOW,
            "order=blend: how many answers the calibrated prediction counts for against an image's own answers");
  }

  public static ApiSettings from(AbstractConfig parsed) {
    String host = parsed.getString(HOST);
    String advertised = parsed.getString(ADVERTISED_HOST);
    if (advertised.isBlank()) {
      advertised = host.equals("0.0.0.0") || host.equals("::") ? localHostName() : host;
    }
    Password token = parsed.getPassword(OUTCOMES_TOKEN);
    return new ApiSettings(
        parsed.getInt(PORT),
        parsed.originals().containsKey(PORT),
        host,
        advertised,
        parsed.getList(CORS_ORIGINS),
        token == null || token.value().isEmpty() ? null : token,
        parsed.getInt(OUTCOMES_MAX_BYTES),
        parsed.getInt(CALIBRATION_MIN_TRIALS),
        parsed.getDouble(BLEND_PRIOR_TRIALS));
  }

  public boolean enabled() {
    return port >= 0;
  }

  private static String localHostName() {
    try {
      return InetAddress.getLocalHost().getCanonicalHostName();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(
          "api.host is 0.0.0.0 and this machine's name cannot be resolved ("
              + e.getMessage()
              + "): set "
              + ADVERTISED_HOST,
          e);
    }
  }
}
