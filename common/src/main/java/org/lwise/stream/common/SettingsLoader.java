package org.lwise.stream.common;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Reads the settings every command and stage process starts from: a properties file, then LWISE_*
 * environment variables ({@link ConfigSources}). A key that no definition in {@code known} has is a
 * typo that would silently leave a default in place: it is refused, naming the keys it may have
 * meant. {@code lwise} passes every stage's keys; a stage's own {@code main} passes its own and
 * accepts the other stages' groups ({@link #forStage}), so one file still configures them all.
 */
public final class SettingsLoader {
  /**
   * Key groups that belong to one stage each: another stage's process leaves them to their owner.
   */
  public static final Set<String> STAGE_GROUPS =
      Set.of("ingest.", "worker.", "uploader.", "aggregator.", "api.");

  /** Keys only {@code lwise run} reads (its embedded servers), accepted by every stage process. */
  public static final Set<String> RUN_ONLY_KEYS = Set.of("s3.cors.origins");

  /**
   * LWISE_JAVA_OPTS, LWISE_LOG_FILE and LWISE_MAVEN_ARGS are read by the lwise script, not by a
   * stage; LWISE_PUBLIC_HOST by compose/docker-compose.yml, so exporting it for Compose leaves
   * lwise working.
   */
  private static final Set<String> SCRIPT_ONLY =
      Set.of("java.opts", "log.file", "maven.args", "public.host");

  private final Set<String> known;
  private final Set<String> acceptedGroups;

  private SettingsLoader(Set<String> known, Set<String> acceptedGroups) {
    this.known = known;
    this.acceptedGroups = acceptedGroups;
  }

  /** Refuses every key that none of {@code definitions} has. */
  public static SettingsLoader strict(Collection<ConfigDef> definitions) {
    return new SettingsLoader(names(definitions), Set.of());
  }

  /**
   * For one stage's own process: its keys are checked, other stages' groups (and the run-only keys)
   * are left alone, anything else is refused.
   */
  public static SettingsLoader forStage(Collection<ConfigDef> definitions) {
    Set<String> known = names(definitions);
    known.addAll(RUN_ONLY_KEYS);
    Set<String> own =
        known.stream()
            .filter(k -> STAGE_GROUPS.stream().anyMatch(k::startsWith))
            .map(k -> k.substring(0, k.indexOf('.') + 1))
            .collect(Collectors.toSet());
    Set<String> others = new TreeSet<>(STAGE_GROUPS);
    others.removeAll(own);
    return new SettingsLoader(known, others);
  }

  private static Set<String> names(Collection<ConfigDef> definitions) {
    return definitions.stream()
        .map(ConfigDef::names)
        .flatMap(Set::stream)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  public Set<String> known() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(known));
  }

  /** The merged settings of {@code file} (may be null) and the environment, all keys known. */
  public Map<String, String> load(Path file, Map<String, String> environment) {
    Map<String, String> fromFile = file == null ? Map.of() : ConfigSources.readProperties(file);
    requireKnown(fromFile, "in " + file);
    Map<String, String> fromEnvironment = new HashMap<>(ConfigSources.fromEnvironment(environment));
    fromEnvironment.keySet().removeAll(SCRIPT_ONLY);
    requireKnown(fromEnvironment, "from the environment (LWISE_*)");
    return ConfigSources.merge(fromFile, fromEnvironment, Map.of());
  }

  public void requireKnown(Map<String, String> settings, String where) {
    Set<String> unknown = new TreeSet<>(settings.keySet());
    unknown.removeAll(known);
    unknown.removeIf(key -> acceptedGroups.stream().anyMatch(key::startsWith));
    if (unknown.isEmpty()) {
      return;
    }
    String key = unknown.iterator().next();
    String group = key.contains(".") ? key.substring(0, key.indexOf('.') + 1) : key;
    Set<String> sameGroup =
        known.stream()
            .filter(k -> k.startsWith(group))
            .collect(Collectors.toCollection(TreeSet::new));
    throw new IllegalArgumentException(
        "unknown setting"
            + (unknown.size() > 1 ? "s " + unknown : " '" + key + "'")
            + " "
            + where
            + "; "
            + (sameGroup.isEmpty()
                ? "the settings are listed in README \"Configuration\""
                : "the " + group + "* settings are " + String.join(", ", sameGroup)));
  }
}
