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
 * resumes where it stopped. The stream stays open from page to page, so a pass over the file reads
 * it once; only after a restart is it decompressed again up to the cursor, as a zstd frame cannot
 * be entered in the middle. Same metadata and filters as the listings; a malformed line is counted
 * under {@code bad_json} and skipped.
 */
public final class RedditDumpSource implements PagedSource, AutoCloseable {
  /** The archives are compressed with --long=31. */
  private static final int LONG_WINDOW_LOG = 31;

  private final String id;
  private final Path file;
  private final int pageLines;
  private final RedditListingParser parser;
  private final Clock clock;
  private BufferedReader reader;
  private CountingStream counted;
  private long line;
  private long size;
  // The last page served and the cursor it was served for: a page whose records could not be
  // published (Kafka away) or whose cursor could not be saved is asked for again from the same
  // cursor, while the stream has moved past it. Served from here, it costs nothing; until
  // 2026-12-06 the file was decompressed again from its start up to the cursor for every such
  // retry (minutes deep into a large dump, on a scheduler thread shared with other sources).
  private long lastFrom = -1;
  private String lastStamp;
  private SourcePage lastPage;
  // The file as it was when it was read to its end: a dump is a fixed backfill, and the next pass
  // over the same file gives nothing. Until 2026-12-07 every poll decompressed and looked up the
  // whole file again, to skip all of it as already published. Kept in memory: after a restart a
  // finished dump is read once more.
  private String finished;

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
  public synchronized SourcePage fetch(Optional<String> cursor) throws IOException {
    long from = cursor.map(Long::parseLong).orElse(0L);
    // The file as it is now: a dump replaced at the same path is read afresh.
    String stamp = stamp();
    if (from == 0 && stamp.equals(finished)) {
      return new SourcePage(List.of(), Map.of(), Optional.empty());
    }
    if (lastPage != null && from == lastFrom && stamp.equals(lastStamp)) {
      return lastPage;
    }
    Map<String, Integer> skipped = new LinkedHashMap<>();
    List<CrawlRecord> records = new ArrayList<>();
    boolean more;
    try {
      if (reader == null || line != from) {
        open(from);
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
      reader.mark(1);
      more = reader.read() != -1;
      reader.reset();
      if (!more) {
        close();
        finished = stamp;
      }
    } catch (IOException e) {
      close();
      throw new IOException(file + ": cannot read as zstd-compressed NDJSON: " + e.getMessage(), e);
    }
    lastFrom = from;
    lastStamp = stamp;
    lastPage =
        new SourcePage(
            records, skipped, more ? Optional.of(Long.toString(line)) : Optional.empty());
    return lastPage;
  }

  /** The file's size and modification time, or "" when it cannot be read. */
  private String stamp() {
    try {
      return Files.size(file) + "-" + Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * Opens the file and skips to {@code from}: once per process, as the stream is kept open between
   * pages (a zstd stream cannot be entered in the middle, so a restart decompresses up to there).
   */
  private void open(long from) throws IOException {
    close();
    size = Files.size(file);
    counted = new CountingStream(Files.newInputStream(file));
    ZstdInputStream zstd = new ZstdInputStream(counted);
    reader =
        new BufferedReader(
            new InputStreamReader(zstd.setLongMax(LONG_WINDOW_LOG), StandardCharsets.UTF_8),
            1 << 16);
    line = 0;
    while (line < from && reader.readLine() != null) {
      line++;
    }
  }

  @Override
  public synchronized java.util.OptionalDouble progress() {
    if (reader == null && finished != null) {
      return java.util.OptionalDouble.of(1.0); // read to its end (the bar of `crawl` ends full)
    }
    if (reader == null || size == 0) {
      return java.util.OptionalDouble.empty();
    }
    return java.util.OptionalDouble.of(Math.min(1.0, counted.count / (double) size));
  }

  /** Closes the open stream, if any. */
  public synchronized void close() {
    if (reader != null) {
      try {
        reader.close();
      } catch (IOException e) {
        // nothing was written
      }
      reader = null;
    }
  }

  /** Counts the compressed bytes read, for progress. */
  private static final class CountingStream extends java.io.FilterInputStream {
    volatile long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
