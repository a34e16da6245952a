package io.memescope.crawler.list;

import io.memescope.crawler.PagedSource;
import io.memescope.crawler.SourcePage;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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
 * A URL list file, {@code pageLines} lines per page. The file is streamed: a page reads its list's
 * first line (a CSV header) and its own lines, never the whole file, so a list of millions of URLs
 * costs a page's memory and each page a page's reading. The cursor is {@code line@offset}: the next
 * line's number and the byte it starts at. A bare line number (the cursor written until
 * 2026-12-06), or an offset that no longer starts a line (the file was replaced), is found again by
 * counting lines from the start.
 */
public final class UrlListSource implements PagedSource {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(UrlListSource.class);

  /** A longer line is no URL: it is skipped ({@code bad_line}) without being held. */
  static final int MAX_LINE_BYTES = 64 * 1024;

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
    int from = 0;
    long offset = -1;
    if (cursor.isPresent()) {
      String[] parts = cursor.get().split("@", 2);
      try {
        from = Math.max(0, Integer.parseInt(parts[0]));
        offset = parts.length == 2 ? Long.parseLong(parts[1]) : -1;
      } catch (NumberFormatException e) {
        from = 0; // not a cursor of ours: the list from its start
      }
    }
    try (FileChannel channel = FileChannel.open(file)) {
      return page(channel, from, offset);
    } catch (CharacterCodingException e) {
      throw new IOException(file + ": not UTF-8 text; save the list as UTF-8", e);
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(file + ": ")) {
        throw e;
      }
      throw new IOException(
          file + ": " + (Files.isDirectory(file) ? "a directory, not a list file" : e), e);
    }
  }

  private SourcePage page(FileChannel channel, int from, long offset) throws IOException {
    long size = channel.size();
    Lines lines = new Lines(channel, 0);
    String first = lines.next();
    if (first == null) {
      done = 1.0;
      return new SourcePage(List.of(), Map.of(), Optional.empty());
    }
    if (first == Lines.NOT_UTF8) {
      // The header, and most likely the whole file, in another encoding.
      throw new CharacterCodingException();
    }
    boolean firstTooLong = first == Lines.TOO_LONG;
    first = firstTooLong ? "" : first;
    first = first.startsWith("\uFEFF") ? first.substring(1) : first; // spreadsheets write one
    int line;
    if (from > 0 && offset > 0 && offset <= size && startsLine(channel, offset)) {
      lines = new Lines(channel, offset);
      line = from;
    } else {
      line = 1;
      while (line < from && lines.skip()) {
        line++;
      }
    }
    List<String> page = new ArrayList<>();
    int tooLong = 0;
    int notUtf8 = 0;
    int firstNotUtf8 = -1;
    int start = from == 0 ? 0 : line;
    if (from == 0) {
      page.add(first);
      tooLong += firstTooLong ? 1 : 0;
    }
    while (page.size() < pageLines) {
      String next = lines.next();
      if (next == null) {
        break;
      }
      if (next == Lines.TOO_LONG) {
        tooLong++;
        page.add(""); // keeps the numbering; an empty line is passed over
      } else if (next == Lines.NOT_UTF8) {
        // One line in another encoding (a title pasted from elsewhere) is skipped and counted:
        // until 2026-12-06 it failed the page, and every later pass failed on it again, so
        // nothing after it was ever published.
        if (notUtf8++ == 0) {
          firstNotUtf8 = start + page.size() + 1;
        }
        page.add("");
      } else {
        page.add(next);
      }
    }
    int end = start + page.size();
    boolean more = lines.position() < size;
    Optional<String> after = more ? Optional.of(end + "@" + lines.position()) : Optional.empty();
    SourcePage parsed;
    try {
      parsed = new UrlListParser(id).page(first, page, start, after, clock.instant());
    } catch (IOException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
    done = more && size > 0 ? lines.position() / (double) size : 1.0;
    if (tooLong == 0 && notUtf8 == 0) {
      return parsed;
    }
    Map<String, Integer> skipped = new LinkedHashMap<>(parsed.skipped());
    if (tooLong > 0) {
      skipped.merge("bad_line", tooLong, Integer::sum);
    }
    if (notUtf8 > 0) {
      skipped.merge("not_utf8", notUtf8, Integer::sum);
      LOG.warn(
          "{}: {} line(s) not UTF-8 text skipped, the first line {}; save the list as UTF-8",
          file,
          notUtf8,
          firstNotUtf8);
    }
    return new SourcePage(parsed.records(), skipped, parsed.after());
  }

  @Override
  public java.util.OptionalDouble progress() {
    return done < 0 ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(done);
  }

  /** Whether a line starts at {@code offset}: the byte before ends one, and no CRLF is split. */
  private static boolean startsLine(FileChannel channel, long offset) throws IOException {
    ByteBuffer around = ByteBuffer.allocate(2);
    int read = channel.read(around, offset - 1);
    if (read < 1) {
      return false;
    }
    byte before = around.get(0);
    return before == '\n' || (before == '\r' && (read < 2 || around.get(1) != '\n'));
  }

  /** The file's lines from a byte offset on, decoded as strict UTF-8, with their end positions. */
  private static final class Lines {
    /** What {@link #next} gives for a line over {@link #MAX_LINE_BYTES}. */
    static final String TOO_LONG = new String("(too long)");

    /** What {@link #next} gives for a line that is not UTF-8. */
    static final String NOT_UTF8 = new String("(not UTF-8)");

    private final PushbackInputStream in;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private long position;

    Lines(FileChannel channel, long from) throws IOException {
      channel.position(from);
      this.in =
          new PushbackInputStream(
              new BufferedInputStream(Channels.newInputStream(channel), 1 << 16), 1);
      this.position = from;
    }

    /**
     * The next byte, a line's end ({@code \n}, {@code \r\n} or a lone {@code \r}, as {@link
     * String#lines} splits) given as {@code \n}; -1 at the end of the file.
     */
    private int read() throws IOException {
      int b = in.read();
      if (b < 0) {
        return b;
      }
      position++;
      if (b == '\r') {
        int next = in.read();
        if (next == '\n') {
          position++;
        } else if (next >= 0) {
          in.unread(next);
        }
        return '\n';
      }
      return b;
    }

    /** The byte after the last line read. */
    long position() {
      return position;
    }

    /** The next line without its end; null at the end of the file. */
    String next() throws IOException {
      line.reset();
      boolean any = false;
      boolean tooLong = false;
      int b;
      while ((b = read()) >= 0) {
        any = true;
        if (b == '\n') {
          break;
        }
        if (line.size() < MAX_LINE_BYTES) {
          line.write(b);
        } else {
          tooLong = true;
        }
      }
      if (!any) {
        return null;
      }
      if (tooLong) {
        return TOO_LONG;
      }
      try {
        return StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(line.toByteArray()))
            .toString();
      } catch (CharacterCodingException e) {
        return NOT_UTF8;
      }
    }

    /** Passes over one line; false at the end of the file. */
    boolean skip() throws IOException {
      int b;
      boolean any = false;
      while ((b = read()) >= 0) {
        any = true;
        if (b == '\n') {
          break;
        }
      }
      return any;
    }
  }
}
