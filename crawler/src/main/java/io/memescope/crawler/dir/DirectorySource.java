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
  private static final java.nio.file.LinkOption NOFOLLOW = java.nio.file.LinkOption.NOFOLLOW_LINKS;
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
      if (!real.startsWith(root)) {
        skipped.merge("outside_root", 1, Integer::sum);
        continue;
      }
      if (!Files.isRegularFile(real)) {
        skipped.merge("not_a_file", 1, Integer::sum); // a link to a folder, a device
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

  private volatile long visited;

  /** Entries (files and folders) the last page looked at: what a page cost. */
  public long lastWalkVisits() {
    return visited;
  }

  /**
   * The first {@code pageFiles + 1} image paths after the cursor, in path order. A folder that
   * cannot be read ({@code lost+found}, another user's) is skipped and counted as {@code
   * unreadable}, not the end of the pass; only the page's paths are held, not the whole tree's.
   *
   * <p>Folders are opened in the order of their paths (as {@code D/}, which is where their files
   * sort), and only while one could hold a file of the page: a folder whose paths all sort before
   * the cursor is passed over unopened, and the walk ends once the page is full and the next folder
   * sorts after its last file. An entry whose name is an image's is taken for a file without asking
   * the file system until it is one of the page's (then a folder so named is opened as any folder);
   * only the others are stat'ed, to find the folders. Until 2026-12-06 every page walked and
   * stat'ed the whole tree, so a pass over N files cost about N²/{@code pageFiles} visits (a
   * million photos on a network share: days). A flat folder is still listed whole for each of its
   * pages.
   */
  private List<Path> nextFiles(Optional<String> cursor, Map<String, Integer> skipped)
      throws IOException {
    String after = cursor.orElse(null);
    java.util.TreeSet<String> files = new java.util.TreeSet<>();
    java.util.PriorityQueue<String> folders = new java.util.PriorityQueue<>(); // as "D/"
    long[] count = {0};
    list(root, after, files, folders, skipped, count);
    for (; ; ) {
      while (!folders.isEmpty()) {
        String next = folders.peek();
        if (files.size() > pageFiles && next.compareTo(files.last()) > 0) {
          break; // it, and every folder after it, sorts after a full page
        }
        list(Path.of(folders.poll()), after, files, folders, skipped, count);
      }
      // An entry named like an image was taken for a file unasked; one of the page's that is a
      // folder ("album.jpg/") is opened instead, as any folder, and the page made up again.
      List<String> named =
          files.stream().filter(f -> Files.isDirectory(Path.of(f), NOFOLLOW)).toList();
      if (named.isEmpty()) {
        break;
      }
      for (String folder : named) {
        files.remove(folder);
        folders.add(folder + java.io.File.separator);
      }
    }
    visited = count[0];
    return files.stream().map(Path::of).toList();
  }

  /** Adds {@code dir}'s image files after {@code after} to {@code files}, its folders to visit. */
  private void list(
      Path dir,
      String after,
      java.util.TreeSet<String> files,
      java.util.PriorityQueue<String> folders,
      Map<String, Integer> skipped,
      long[] count)
      throws IOException {
    List<Path> children = new ArrayList<>();
    try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(children::add);
    } catch (IOException | java.nio.file.DirectoryIteratorException e) {
      if (dir.equals(root)) {
        throw e instanceof IOException io ? io : new IOException(e.getCause()); // say so
      }
      skipped.merge("unreadable", 1, Integer::sum);
      return;
    }
    for (Path child : children) {
      String p = child.toString();
      String asFolder = p + java.io.File.separator;
      if (after != null && asFolder.compareTo(after) < 0 && !after.startsWith(asFolder)) {
        continue; // before the cursor, file or folder
      }
      count[0]++;
      if (IMAGE.matcher(child.getFileName().toString()).matches()) {
        if (after == null || p.compareTo(after) > 0) {
          files.add(p);
          if (files.size() > pageFiles + 1) {
            files.pollLast();
          }
        }
        continue;
      }
      java.nio.file.attribute.BasicFileAttributes attrs;
      try {
        attrs =
            Files.readAttributes(
                child,
                java.nio.file.attribute.BasicFileAttributes.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        skipped.merge("unreadable", 1, Integer::sum);
        continue;
      }
      if (attrs.isDirectory()
          && !(files.size() > pageFiles && asFolder.compareTo(files.last()) > 0)) {
        folders.add(asFolder);
      }
    }
  }
}
