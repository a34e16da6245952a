package io.memescope.crawler.list;

import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.records.Json;
import io.memescope.crawler.ImageLinks;
import io.memescope.crawler.SourcePage;
import java.io.IOException;
import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * URL list files, read a page of lines at a time (the cursor is the next line number): plain text
 * (one URL per line, {@code #} comments), JSON lines ({@code {"url": ..., "title": ...}} plus any
 * other fields as metadata), or CSV with a header that has a {@code url} (or {@code image_url})
 * column. A line that cannot be read (bad JSON) is skipped and counted, never the whole list.
 */
public final class UrlListParser {
  private final String source;

  public UrlListParser(String source) {
    this.source = source;
  }

  /** Lines {@code from} (0-based) to {@code from + count} of {@code text}. */
  public SourcePage page(String text, int from, int count, Instant now) throws IOException {
    List<String> lines = text.lines().toList();
    int start = Math.min(from, lines.size());
    int end = Math.min(start + count, lines.size());
    Optional<String> next =
        end < lines.size() ? Optional.of(Integer.toString(end)) : Optional.empty();
    return page(lines.isEmpty() ? null : lines.get(0), lines.subList(start, end), start, next, now);
  }

  /**
   * The records of {@code lines}, which are the list's lines from number {@code firstIndex}
   * (0-based) on; {@code firstLine} is the list's line 0 (a CSV header, when it names a URL
   * column), null for an empty list.
   */
  public SourcePage page(
      String firstLine, List<String> lines, int firstIndex, Optional<String> next, Instant now)
      throws IOException {
    boolean csv = firstLine != null && isCsvHeader(firstLine);
    Map<String, Integer> skipped = new LinkedHashMap<>();
    List<io.memescope.core.records.CrawlRecord> records = new ArrayList<>();
    List<String> header = csv ? parseCsv(firstLine) : List.of();
    for (int n = 0; n < lines.size(); n++) {
      int i = firstIndex + n;
      if (csv && i == 0) {
        continue; // the header
      }
      String line = lines.get(n).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Map<String, String> fields;
      try {
        fields =
            csv
                ? zip(header, parseCsv(line))
                : line.startsWith("{") ? json(line, i) : Map.of("url", line);
      } catch (IOException bad) {
        skipped.merge("bad_line", 1, Integer::sum);
        continue;
      }
      String url = fields.get("url");
      if (url == null || url.isBlank()) {
        skipped.merge("no_url", 1, Integer::sum);
        continue;
      }
      Map<String, String> extra = new LinkedHashMap<>(fields);
      for (String k : List.of("url", "title", "page", "author")) {
        extra.remove(k);
      }
      records.addAll(
          ImageLinks.records(
              List.of(url),
              source,
              now,
              fields.get("title"),
              fields.get("page"),
              fields.get("author"),
              extra,
              skipped,
              true));
    }
    return new SourcePage(records, skipped, next);
  }

  private static boolean isCsvHeader(String line) {
    return line.contains(",")
        && parseCsvQuietly(line).stream().anyMatch(h -> URL_COLUMNS.contains(column(h)));
  }

  /** Names of the column that holds the image URL (the first one found is used). */
  private static final List<String> URL_COLUMNS = List.of("url", "image_url");

  private static String column(String header) {
    return header.strip().toLowerCase(java.util.Locale.ROOT);
  }

  private static Map<String, String> json(String line, int index) throws IOException {
    JsonNode node;
    try {
      node = Json.mapper().readTree(line);
    } catch (IOException e) {
      throw new IOException("line " + (index + 1) + " is not valid JSON: " + e.getMessage(), e);
    }
    Map<String, String> fields = new LinkedHashMap<>();
    node.fields()
        .forEachRemaining(
            e ->
                fields.put(
                    e.getKey(),
                    e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
    return fields;
  }

  private static Map<String, String> zip(List<String> header, List<String> values) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (int i = 0; i < Math.min(header.size(), values.size()); i++) {
      fields.put(column(header.get(i)), values.get(i));
    }
    if (!fields.containsKey("url") && fields.containsKey("image_url")) {
      fields.put("url", fields.remove("image_url"));
    }
    return fields;
  }

  private static List<String> parseCsv(String line) throws IOException {
    try (var parser = CSVFormat.DEFAULT.parse(new StringReader(line))) {
      List<String> values = new ArrayList<>();
      for (CSVRecord record : parser) {
        record.forEach(values::add);
      }
      return values;
    } catch (java.io.UncheckedIOException e) {
      throw new IOException("not valid CSV: " + e.getCause().getMessage(), e);
    }
  }

  private static List<String> parseCsvQuietly(String line) {
    try {
      return parseCsv(line);
    } catch (IOException e) {
      return List.of();
    }
  }
}
