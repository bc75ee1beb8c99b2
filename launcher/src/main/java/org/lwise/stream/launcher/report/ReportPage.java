package org.lwise.stream.launcher.report;

import java.util.List;

/** The report's HTML, written top to bottom: a small vocabulary of blocks with one stylesheet. */
final class ReportPage {
  private static final String STYLE =
      """
      body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1280px; color: #222; padding: 0 16px; }
      h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
      table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ddd; padding: 4px 8px;
        vertical-align: top; text-align: left; } th { background: #f4f4f4; }
      figure { display: inline-block; margin: 2px 4px; text-align: center; font-size: 12px; }
      figure img { display: block; image-rendering: pixelated; }
      .missing { display: inline-block; width: 96px; height: 96px; background: #eee; font-size: 11px; }
      .charts { display: flex; flex-wrap: wrap; gap: 12px; } canvas { border: 1px solid #eee; }
      .scale { display: inline-block; width: 120px; height: 10px; vertical-align: middle; }
      .note { color: #a40; } .muted { color: #777; }
      """;

  private final StringBuilder html = new StringBuilder();

  void open(String title) {
    html.append("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        // No favicon request: from a folder or S3 a missing icon is a console error.
        .append("<link rel=\"icon\" href=\"data:,\">\n")
        .append("<title>")
        .append(escape(title))
        .append("</title>\n<style>")
        .append(STYLE)
        .append("</style>\n")
        .append("</head>\n<body>\n<h1>")
        .append(escape(title))
        .append("</h1>\n");
  }

  void heading(String text, String id) {
    html.append("<h2 id=\"")
        .append(escape(id))
        .append("\">")
        .append(escape(text))
        .append("</h2>\n");
  }

  void paragraph(String text) {
    html.append("<p>").append(escape(text)).append("</p>\n");
  }

  /** Raw HTML, already escaped by the caller. */
  void raw(String fragment) {
    html.append(fragment);
  }

  void list(String cssClass, List<String> items) {
    html.append("<ul class=\"").append(cssClass).append("\">");
    items.forEach(item -> html.append("<li>").append(escape(item)).append("</li>"));
    html.append("</ul>\n");
  }

  /** Canvases the charts script draws on, by chart id. */
  void chartRow(List<String> ids) {
    html.append("<div class=\"charts\">");
    ids.forEach(
        id ->
            html.append("<canvas id=\"")
                .append(escape(id))
                .append("\" width=\"400\" height=\"280\"></canvas>"));
    html.append("</div>\n");
  }

  /** A table; without headers, one of name-value rows. */
  void startTable(String cssClass, String... headers) {
    html.append("<table class=\"").append(cssClass).append("\">");
    if (headers.length > 0) {
      html.append("<tr>");
      for (String h : headers) {
        html.append("<th>").append(escape(h)).append("</th>");
      }
      html.append("</tr>");
    }
    html.append("\n");
  }

  /** A table row of cells that are HTML already. */
  void row(String... cells) {
    html.append("<tr>");
    for (String cell : cells) {
      html.append("<td>").append(cell).append("</td>");
    }
    html.append("</tr>\n");
  }

  void endTable() {
    html.append("</table>\n");
  }

  String figure(String dataUri, String alt, String caption, int side) {
    return "<figure><img src=\""
        + dataUri
        + "\" alt=\""
        + escape(alt == null ? "" : alt)
        + "\" width=\""
        + side
        + "\" height=\""
        + side
        + "\"><figcaption>"
        + escape(caption)
        + "</figcaption></figure>";
  }

  /** A placeholder for an image the output folder has no copy of. */
  String missing(String caption) {
    return "<figure><span class=\"missing\">not in the output folder</span><figcaption>"
        + escape(caption)
        + "</figcaption></figure>";
  }

  /**
   * Ends the page: the chart specs as JSON and the charts script, inline. Without a script (a build
   * with -Dweb.skip) the canvases stay blank and a note says why.
   */
  String close(String specsJson, String chartsScript) {
    // "</" would end the script element early; "<\/" reads the same in JSON and JavaScript strings.
    html.append("<script type=\"application/json\" id=\"lwise-charts\">")
        .append(specsJson.replace("</", "<\\/"))
        .append("</script>\n");
    if (chartsScript == null) {
      html.append(
          "<p class=\"note\">Charts are missing: this build of L-WISE Stream has no charts bundle "
              + "(built with -Dweb.skip).</p>\n");
    } else {
      html.append("<script>")
          .append(chartsScript.replace("</script", "<\\/script"))
          .append("</script>\n");
    }
    return html.append("</body>\n</html>\n").toString();
  }

  String escape(String text) {
    return text == null
        ? ""
        : text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("\"", "&quot;")
            .replace("'", "&#39;");
  }
}
