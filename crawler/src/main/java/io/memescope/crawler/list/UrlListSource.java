package io.memescope.crawler.list;

import io.memescope.crawler.PagedSource;
import io.memescope.crawler.SourcePage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/** A URL list file, {@code pageLines} lines per page; the cursor is the next line number. */
public final class UrlListSource implements PagedSource {
  private final String id;
  private final Path file;
  private final int pageLines;
  private final Clock clock;
  private volatile double done = -1;

  public UrlListSource(String id, Path file, int pageLines, Clock clock) {
    this.id = id;
    this.file = file;
    this.pageLines = pageLines;
    this.clock = clock;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public SourcePage fetch(Optional<String> cursor) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IOException(file + ": not UTF-8 text; save the list as UTF-8", e);
    } catch (IOException e) {
      throw new IOException(
          file + ": " + (Files.isDirectory(file) ? "a directory, not a list file" : e), e);
    }
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1); // the byte-order mark spreadsheets write first
    }
    int from = cursor.map(Integer::parseInt).orElse(0);
    try {
      SourcePage page = new UrlListParser(id).page(text, from, pageLines, clock.instant());
      long lines = Math.max(1, text.lines().count());
      done = page.after().map(a -> Integer.parseInt(a) / (double) lines).orElse(1.0);
      return page;
    } catch (IOException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public java.util.OptionalDouble progress() {
    return done < 0 ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(done);
  }
}
