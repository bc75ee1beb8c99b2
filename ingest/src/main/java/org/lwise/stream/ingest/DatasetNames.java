package org.lwise.stream.ingest;

import java.util.regex.Pattern;

/**
 * The rule for dataset names, checked where a name enters (job submission) because every stage
 * builds something from it: the output folders {@code <dataset>_<condition>/} of the uploader and
 * the aggregator, the S3 buckets {@code <prefix>-<dataset>-<condition>}, the job id. A name that
 * matches is one path segment that is neither {@code .} nor {@code ..}, so those folders stay
 * inside the output folder, and it holds only characters S3's bucket rules allow once lower-cased.
 */
public final class DatasetNames {
  /** ASCII only: a Unicode name would be mangled differently by file systems and bucket names. */
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  public static final String RULE =
      "1 to 63 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit, without \"..\"";

  private DatasetNames() {}

  public static boolean isSafe(String name) {
    return name != null && SAFE.matcher(name).matches() && !name.contains("..");
  }

  /** Returns the name, or throws naming the option and the rule. */
  public static String check(String name) {
    if (!isSafe(name)) {
      throw new IllegalArgumentException(
          "--dataset "
              + quoted(name)
              + " is not a valid dataset name: "
              + RULE
              + " (it names output folders and S3 buckets)");
    }
    return name;
  }

  /** The name in quotes, anything outside printable ASCII escaped so the message stays one line. */
  public static String quoted(String name) {
    if (name == null) {
      return "(none)";
    }
    StringBuilder text = new StringBuilder("'");
    int shown = Math.min(name.length(), 80);
    for (int i = 0; i < shown; i++) {
      char c = name.charAt(i);
      text.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return text.append(name.length() > shown ? "…'" : "'").toString();
  }
}
