package org.lwise.stream.aggregator.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Settings of the live difficulty API the aggregator serves.
 *
 * @param port -1 = no API; 0 = any free port
 * @param portChosen the port was set, not the default: when it is taken, starting fails rather than
 *     falling back to a free port
 * @param host the address it listens on
 * @param advertisedHost how the other aggregator instances reach this one (Kafka Streams'
 *     {@code application.server}), so that any instance answers for data another one holds
 * @param corsOrigins origins whose pages may call the API ({@code *} = any)
 */
public record ApiSettings(int port, boolean portChosen, String host, String advertisedHost, List<String> corsOrigins) {
  public static final String PORT = "api.port";
  public static final String HOST = "api.host";
  public static final String ADVERTISED_HOST = "api.advertised.host";
  public static final String CORS_ORIGINS = "api.cors.origins";
  public static final int DEFAULT_PORT = 8090;

  public static ConfigDef define(ConfigDef def) {
    return def
        .define(PORT, Type.INT, DEFAULT_PORT, ConfigDef.Range.between(-1, 65535), Importance.HIGH,
            "port of the live difficulty HTTP API and demo experiment; 0 = any free port, -1 = no API")
        .define(HOST, Type.STRING, "127.0.0.1", Importance.MEDIUM,
            "address the API listens on; 0.0.0.0 = every interface (experiment servers on other machines)")
        .define(ADVERTISED_HOST, Type.STRING, "", Importance.MEDIUM,
            "host name other aggregator instances use to forward requests to this one; empty = api.host, "
                + "or this machine's name when api.host is 0.0.0.0")
        .define(CORS_ORIGINS, Type.LIST, "*", Importance.MEDIUM,
            "origins (scheme://host[:port]) whose pages may call the API from a browser; * = any");
  }

  public static ApiSettings from(AbstractConfig parsed) {
    String host = parsed.getString(HOST);
    String advertised = parsed.getString(ADVERTISED_HOST);
    if (advertised.isBlank()) {
      advertised = host.equals("0.0.0.0") || host.equals("::") ? localHostName() : host;
    }
    return new ApiSettings(parsed.getInt(PORT), parsed.originals().containsKey(PORT), host, advertised,
        parsed.getList(CORS_ORIGINS));
  }

  public boolean enabled() {
    return port >= 0;
  }

  private static String localHostName() {
    try {
      return InetAddress.getLocalHost().getCanonicalHostName();
    } catch (UnknownHostException e) {
      throw new IllegalStateException("api.host is 0.0.0.0 and this machine's name cannot be resolved ("
          + e.getMessage() + "): set " + ADVERTISED_HOST, e);
    }
  }
}
