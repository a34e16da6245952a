package io.memescope.crawler.dump;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.luben.zstd.ZstdInputStream;
import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import io.memescope.crawler.PagedSource;
import io.memescope.crawler.SourcePage;
import io.memescope.crawler.reddit.RedditListingParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Reddit dump file for backfill: zstd-compressed NDJSON submissions as the public archives
 * distribute them (long-window frames included), streamed line by line, never held in memory.
 * {@code pageLines} submissions per page; the cursor is the number of lines consumed, so a restart
 * resumes where it stopped (the stream is decompressed again up to that line, as zstd streams
 * cannot be entered in the middle). Same metadata and filters as the listings; a malformed line is
 * counted under {@code bad_json} and skipped.
 */
public final class RedditDumpSource implements PagedSource {
  /** The archives are compressed with --long=31. */
  private static final int LONG_WINDOW_LOG = 31;

  private final String id;
  private final Path file;
  private final int pageLines;
  private final RedditListingParser parser;
  private final Clock clock;

  public RedditDumpSource(
      String id, Path file, int pageLines, RedditListingParser parser, Clock clock) {
    this.id = id;
    this.file = file;
    this.pageLines = pageLines;
    this.parser = parser;
    this.clock = clock;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public SourcePage fetch(Optional<String> cursor) throws IOException {
    long from = cursor.map(Long::parseLong).orElse(0L);
    Map<String, Integer> skipped = new LinkedHashMap<>();
    List<CrawlRecord> records = new ArrayList<>();
    long line = 0;
    boolean more;
    try (InputStream raw = Files.newInputStream(file);
        ZstdInputStream zstd = new ZstdInputStream(raw);
        BufferedReader reader =
            new BufferedReader(
                new InputStreamReader(zstd.setLongMax(LONG_WINDOW_LOG), StandardCharsets.UTF_8))) {
      while (line < from && reader.readLine() != null) {
        line++;
      }
      String text;
      while (line < from + pageLines && (text = reader.readLine()) != null) {
        line++;
        if (text.isBlank()) {
          continue;
        }
        JsonNode post;
        try {
          post = Json.mapper().readTree(text);
        } catch (IOException e) {
          skipped.merge("bad_json", 1, Integer::sum);
          continue;
        }
        records.addAll(parser.postRecords(post, clock.instant(), skipped));
      }
      more = reader.readLine() != null;
    } catch (IOException e) {
      throw new IOException(file + ": cannot read as zstd-compressed NDJSON: " + e.getMessage(), e);
    }
    return new SourcePage(
        records, skipped, more ? Optional.of(Long.toString(line)) : Optional.empty());
  }
}
