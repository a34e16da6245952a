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

  /** Paths a walk keeps beyond its page, for the pages after it ({@link #nextFiles}). */
  static final int READ_AHEAD = 20_000;

  private final int readAhead;

  public DirectorySource(String id, Path root, int pageFiles, Clock clock) throws IOException {
    this(id, root, pageFiles, clock, READ_AHEAD);
  }

  /** With {@code readAhead} paths kept beyond each page (0: none, every page walks). */
  public DirectorySource(String id, Path root, int pageFiles, Clock clock, int readAhead)
      throws IOException {
    this.id = id;
    this.root = root.toRealPath();
    this.pageFiles = pageFiles;
    this.clock = clock;
    this.readAhead = readAhead;
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
      try {
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
      } catch (IllegalArgumentException e) {
        skipped.merge("bad_url", 1, Integer::sum); // a path longer than a URL may be, encoded
      }
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
   * What the walk that made a page found beyond it, in path order: the pages after it are served
   * from here while none of the folders it listed has changed since (their modification times,
   * which an entry added, removed or renamed in them changes). {@code complete}: the walk reached
   * the end of the tree, so nothing lies beyond {@code files}.
   */
  private record ReadAhead(
      String after,
      List<String> files,
      boolean complete,
      Map<Path, java.nio.file.attribute.FileTime> folders) {}

  private ReadAhead ahead;
  private boolean pruned; // the walk under way passed over a folder: it may not reach the end
  private boolean uncertain; // the walk under way could not list or time a folder

  /**
   * The first {@code pageFiles + 1} image paths after the cursor, in path order. A folder that
   * cannot be read ({@code lost+found}, another user's) is skipped and counted as {@code
   * unreadable}, not the end of the pass; only the page's paths, and up to {@code readAhead} after
   * them, are held, not the whole tree's.
   *
   * <p>Folders are opened in the order of their paths (as {@code D/}, which is where their files
   * sort), and only while one could hold a file of the page: a folder whose paths all sort before
   * the cursor is passed over unopened, and the walk ends once the page is full and the next folder
   * sorts after its last file. An entry whose name is an image's is taken for a file without asking
   * the file system until it is one of the page's (then a folder so named is opened as any folder);
   * only the others are stat'ed, to find the folders. Until 2026-12-06 every page walked and
   * stat'ed the whole tree, so a pass over N files cost about N²/{@code pageFiles} visits (a
   * million photos on a network share: days).
   *
   * <p>A walk keeps up to {@code readAhead} paths beyond its page, and the next pages are taken
   * from them while the folders it listed that can hold the page's paths are unchanged (one {@code
   * stat} each): one flat folder of a million files, which every page listed whole until 2026-12-06
   * (2,000 listings of it a pass, at 500 a page), is listed once every 40 pages. A change a file
   * system does not show in the folder's modification time (two changes within one tick of its
   * clock, a few milliseconds on Linux; on NFS its attribute cache, 30-60 s) is found by the next
   * pass, which starts with a walk. A walk that could not list or time a folder keeps nothing.
   */
  private synchronized List<Path> nextFiles(Optional<String> cursor, Map<String, Integer> skipped)
      throws IOException {
    String after = cursor.orElse(null);
    List<String> cached = fromReadAhead(after);
    if (cached != null) {
      return cached.stream().map(Path::of).toList();
    }
    ahead = null;
    int want = pageFiles + 1 + Math.max(0, readAhead);
    java.util.Set<String> named = new java.util.HashSet<>();
    for (; ; ) {
      java.util.TreeSet<String> files = new java.util.TreeSet<>();
      java.util.PriorityQueue<String> folders = new java.util.PriorityQueue<>(); // as "D/"
      Map<Path, java.nio.file.attribute.FileTime> listed = new java.util.HashMap<>();
      long[] count = {0};
      pruned = false;
      uncertain = false;
      list(root, after, files, want, named, folders, listed, skipped, count);
      while (!folders.isEmpty()) {
        String next = folders.peek();
        if (files.size() >= want && next.compareTo(files.last()) > 0) {
          pruned = true;
          break; // it, and every folder after it, sorts after all that is wanted
        }
        list(Path.of(folders.poll()), after, files, want, named, folders, listed, skipped, count);
      }
      // An entry named like an image was taken for a file unasked; one of the page's that is a
      // folder ("album.jpg/") is known for one now, and the walk is made again (a walk cut short
      // at a full set would have a gap where the folder's place was).
      List<String> folderNamed =
          files.stream()
              .limit(pageFiles + 1L)
              .filter(f -> Files.isDirectory(Path.of(f), NOFOLLOW))
              .toList();
      if (!folderNamed.isEmpty()) {
        named.addAll(folderNamed);
        continue;
      }
      visited = count[0];
      List<String> all = new ArrayList<>(files);
      // Kept only where every folder of the walk could be listed and timed: one that could not
      // (and may be later, by a chmod that leaves its time as it was) sends each page to a walk.
      if (all.size() > pageFiles + 1 && !uncertain) {
        // Complete: no folder was passed over, nor an image let go for want of room.
        ahead =
            new ReadAhead(
                all.get(pageFiles - 1),
                List.copyOf(all.subList(pageFiles, all.size())),
                !pruned,
                Map.copyOf(listed));
      }
      return all.subList(0, Math.min(all.size(), pageFiles + 1)).stream().map(Path::of).toList();
    }
  }

  /**
   * The page after {@code after} from the last walk's read-ahead, or null when there is none for
   * it: another cursor, a folder it listed changed, too few paths left to know the page is all
   * there, or an entry of the page that is a folder after all.
   */
  private List<String> fromReadAhead(String after) {
    ReadAhead r = ahead;
    if (r == null || after == null || !after.equals(r.after())) {
      return null;
    }
    if (!r.complete() && r.files().size() <= pageFiles) {
      return null; // the page may go on past what was kept
    }
    List<String> page = r.files().subList(0, Math.min(r.files().size(), pageFiles + 1));
    // The page's last path, not the one after it; the last page of a pass reaches to the end of
    // the tree, and a file added anywhere after the cursor belongs in it.
    String last = page.size() > pageFiles ? page.get(pageFiles - 1) : null;
    int checked = 0;
    for (var folder : r.folders().entrySet()) {
      // Only the folders whose paths can fall among this page's: an entry added to a folder that
      // sorts after it, or before the cursor, changes nothing here (a later page checks it).
      String f = folder.getKey().toString();
      String asFolder = f.endsWith(java.io.File.separator) ? f : f + java.io.File.separator;
      if ((last != null && asFolder.compareTo(last) > 0)
          || (asFolder.compareTo(after) < 0 && !after.startsWith(asFolder))) {
        continue;
      }
      checked++;
      try {
        if (!Files.getLastModifiedTime(folder.getKey(), NOFOLLOW).equals(folder.getValue())) {
          return null;
        }
      } catch (IOException e) {
        return null;
      }
    }
    if (page.stream().anyMatch(f -> Files.isDirectory(Path.of(f), NOFOLLOW))) {
      return null;
    }
    visited = checked;
    ahead =
        page.size() > pageFiles
            ? new ReadAhead(
                page.get(pageFiles - 1),
                r.files().subList(pageFiles, r.files().size()),
                r.complete(),
                r.folders())
            : null;
    return page;
  }

  /** Adds {@code dir}'s image files after {@code after} to {@code files}, its folders to visit. */
  private void list(
      Path dir,
      String after,
      java.util.TreeSet<String> files,
      int want,
      java.util.Set<String> named,
      java.util.PriorityQueue<String> folders,
      Map<Path, java.nio.file.attribute.FileTime> listed,
      Map<String, Integer> skipped,
      long[] count)
      throws IOException {
    List<Path> children = new ArrayList<>();
    try {
      // Before the listing: a change made while it runs shows as a later time.
      listed.put(dir, Files.getLastModifiedTime(dir, NOFOLLOW));
    } catch (IOException e) {
      uncertain = true; // the listing below says what is wrong, if anything
    }
    try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(children::add);
    } catch (IOException | java.nio.file.DirectoryIteratorException e) {
      if (dir.equals(root)) {
        throw e instanceof IOException io ? io : new IOException(e.getCause()); // say so
      }
      skipped.merge("unreadable", 1, Integer::sum);
      uncertain = true;
      return;
    }
    for (Path child : children) {
      String p = child.toString();
      String asFolder = p + java.io.File.separator;
      if (after != null && asFolder.compareTo(after) < 0 && !after.startsWith(asFolder)) {
        continue; // before the cursor, file or folder
      }
      count[0]++;
      if (IMAGE.matcher(child.getFileName().toString()).matches() && !named.contains(p)) {
        if (after == null || p.compareTo(after) > 0) {
          files.add(p);
          if (files.size() > want) {
            files.pollLast();
            pruned = true;
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
      if (attrs.isDirectory()) {
        if (files.size() >= want && asFolder.compareTo(files.last()) > 0) {
          pruned = true;
        } else {
          folders.add(asFolder);
        }
      }
    }
  }
}
