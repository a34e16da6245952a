package io.memescope.crawler.dir;

import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.UrlNormalizer;
import io.memescope.crawler.PagedSource;
import io.memescope.crawler.SourcePage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A directory tree of images, walked in path order, {@code pageFiles} files per page; the cursor is
 * the last path published. Every file is resolved (symbolic links followed) and must lie inside the
 * root, so a link cannot smuggle {@code /etc} into the index. Records carry {@code file://} URLs,
 * which the fetcher reads only from its configured roots. Each record carries the file's size and
 * modification time as its {@link CrawlRecord#CONTENT_VERSION}, so a file that changes in place is
 * published again. The crawler service also watches the tree ({@link DirectoryWatcher}) and runs a
 * pass soon after anything in it changes.
 */
public final class DirectorySource implements PagedSource {
  private static final Pattern IMAGE = Pattern.compile("(?i).*\\.(jpe?g|png|gif|webp|bmp)$");

  private final String id;
  private final Path root;
  private final int pageFiles;
  private final Clock clock;

  public DirectorySource(String id, Path root, int pageFiles, Clock clock) throws IOException {
    this.id = id;
    this.root = root.toRealPath();
    this.pageFiles = pageFiles;
    this.clock = clock;
  }

  /** The resolved root of the tree. */
  public Path root() {
    return root;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public SourcePage fetch(Optional<String> cursor) throws IOException {
    Map<String, Integer> skipped = new LinkedHashMap<>();
    List<Path> files = nextFiles(cursor, skipped);
    boolean more = files.size() > pageFiles;
    List<Path> page = more ? files.subList(0, pageFiles) : files;
    List<CrawlRecord> records = new ArrayList<>();
    for (Path file : page) {
      Path real;
      try {
        real = file.toRealPath();
      } catch (IOException e) {
        skipped.merge("unreadable", 1, Integer::sum);
        continue;
      }
      if (!real.startsWith(root) || !Files.isRegularFile(real)) {
        skipped.merge("outside_root", 1, Integer::sum);
        continue;
      }
      long size;
      java.nio.file.attribute.FileTime modified;
      try {
        size = Files.size(real);
        modified = Files.getLastModifiedTime(real);
      } catch (IOException e) {
        skipped.merge("unreadable", 1, Integer::sum); // gone, or no longer ours to read
        continue;
      }
      records.add(
          CrawlRecord.of(
              UrlNormalizer.normalise(real.toUri().toString()),
              id,
              clock.instant(),
              real.getFileName().toString(),
              null,
              null,
              Map.of(
                  "bytes",
                  Long.toString(size),
                  CrawlRecord.CONTENT_VERSION,
                  size + "-" + modified.toMillis())));
    }
    Optional<String> next =
        more ? Optional.of(page.get(page.size() - 1).toString()) : Optional.empty();
    return new SourcePage(records, skipped, next);
  }

  /**
   * The first {@code pageFiles + 1} image paths after the cursor, in path order. A folder that
   * cannot be read ({@code lost+found}, another user's) is skipped and counted as {@code
   * unreadable}, not the end of the pass; only the page's paths are held, not the whole tree's.
   */
  private List<Path> nextFiles(Optional<String> cursor, Map<String, Integer> skipped)
      throws IOException {
    java.util.TreeSet<String> first = new java.util.TreeSet<>();
    Files.walkFileTree(
        root,
        new java.nio.file.SimpleFileVisitor<>() {
          @Override
          public java.nio.file.FileVisitResult visitFile(
              Path file, java.nio.file.attribute.BasicFileAttributes attrs) {
            String p = file.toString();
            if (IMAGE.matcher(file.getFileName().toString()).matches()
                && (cursor.isEmpty() || p.compareTo(cursor.get()) > 0)) {
              first.add(p);
              if (first.size() > pageFiles + 1) {
                first.pollLast();
              }
            }
            return java.nio.file.FileVisitResult.CONTINUE;
          }

          @Override
          public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e)
              throws IOException {
            if (file.equals(root)) {
              throw e; // the root itself: the source is broken, say so
            }
            skipped.merge("unreadable", 1, Integer::sum);
            return java.nio.file.FileVisitResult.CONTINUE;
          }
        });
    return first.stream().map(Path::of).toList();
  }
}
