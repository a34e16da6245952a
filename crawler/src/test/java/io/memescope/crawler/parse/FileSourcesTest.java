package io.memescope.crawler.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import io.memescope.core.records.CrawlRecord;
import io.memescope.crawler.SourcePage;
import io.memescope.crawler.dir.DirectorySource;
import io.memescope.crawler.dump.RedditDumpSource;
import io.memescope.crawler.reddit.RedditListingParser;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSourcesTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);
  @TempDir Path dir;

  @Test
  void a_directory_is_paged_in_path_order_and_links_out_of_the_root_are_refused() throws Exception {
    Path root = Files.createDirectories(dir.resolve("memes"));
    Files.createDirectories(root.resolve("b"));
    for (String name : List.of("a1.jpg", "a2.PNG", "notes.txt", "b/c.gif", "b/d.webp")) {
      Files.writeString(root.resolve(name), "x");
    }
    Path outside = Files.writeString(dir.resolve("secret.jpg"), "x");
    Files.createSymbolicLink(root.resolve("b/zz-link.jpg"), outside);
    DirectorySource source = new DirectorySource("dir:memes", root, 2, CLOCK);

    List<String> urls = new ArrayList<>();
    SourcePage page = source.fetch(Optional.empty());
    int pages = 1;
    page.records().forEach(r -> urls.add(r.url()));
    while (page.after().isPresent()) {
      page = source.fetch(page.after());
      pages++;
      page.records().forEach(r -> urls.add(r.url()));
    }
    String base = root.toRealPath().toUri().toString();
    assertThat(urls)
        .containsExactly(base + "a1.jpg", base + "a2.PNG", base + "b/c.gif", base + "b/d.webp");
    assertThat(pages).isEqualTo(3);
    assertThat(page.skipped()).containsEntry("outside_root", 1);
  }

  @Test
  void a_page_enters_only_the_folders_that_can_hold_its_files() throws Exception {
    // Ten folders of 100 photos (with nested ones); pages of 100. Every file once, in path order,
    // and a page walks about its own folder, not the tree.
    Path root = Files.createDirectories(dir.resolve("photos"));
    List<String> expected = new ArrayList<>();
    for (int d = 0; d < 10; d++) {
      for (int f = 0; f < 100; f++) {
        String name = "20" + (10 + d) + (f < 50 ? "/" : "/sub/") + String.format("%03d.jpg", f);
        Path file = root.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "x");
        expected.add(name);
      }
    }
    // A folder named like an image: opened as any folder.
    for (String name : List.of("2012.jpg/x.png", "2012.jpg/y.png")) {
      Files.createDirectories(root.resolve(name).getParent());
      Files.writeString(root.resolve(name), "x");
      expected.add(name);
    }
    java.util.Collections.sort(expected);
    // Without read-ahead, so that each page walks (the next test has it).
    DirectorySource source = new DirectorySource("dir:photos", root, 100, CLOCK, 0);
    Pass pass = pass(source, root, (pages, names) -> {});
    assertThat(pass.names()).isEqualTo(expected);
    // 1,000 files and 21 folders in the tree: the whole of it was walked for every page before.
    assertThat(pass.visits()).allSatisfy(v -> assertThat(v).isLessThan(250)); // about 160 a page
  }

  @Test
  void a_flat_folder_is_listed_once_for_several_pages_until_it_changes() throws Exception {
    // 1,000 photos in one folder, pages of 50, 200 paths kept beyond a page: the folder is listed
    // for one page in five; the others check only its modification time. Until 2026-12-06 every
    // page listed it whole. A file added after the cursor, and one deleted before its page, are
    // seen by the next page all the same.
    Path root = Files.createDirectories(dir.resolve("flat"));
    java.util.TreeSet<String> expected = new java.util.TreeSet<>();
    for (int f = 0; f < 1000; f++) {
      String name = String.format("%04d.jpg", f * 2);
      Files.writeString(root.resolve(name), "x");
      expected.add(name);
    }
    DirectorySource source = new DirectorySource("dir:flat", root, 50, CLOCK, 200);
    Pass pass =
        pass(
            source,
            root,
            (pages, names) -> {
              if (pages == 7) {
                Thread.sleep(50); // past the file system clock's tick since the folder was listed
                // Among the paths kept from the last walk, after the cursor (0698.jpg).
                Files.writeString(root.resolve("0751.jpg"), "x");
                Files.delete(root.resolve("0800.jpg"));
                expected.add("0751.jpg");
                expected.remove("0800.jpg");
              }
            });
    List<Long> visits = pass.visits();

    assertThat(pass.names()).containsExactlyElementsOf(expected);
    // Page 1 lists the folder (1,000 entries), pages 2-5 check its time, page 6 lists it again
    // (the entries from the cursor on: the 751 not passed over by name).
    assertThat(visits.subList(0, 6)).containsExactly(1000L, 1L, 1L, 1L, 1L, 751L);
    assertThat(visits.get(7))
        .as("the page after the change lists the folder again")
        .isGreaterThan(1);
  }

  @Test
  void pages_kept_from_a_walk_of_a_tree_check_only_their_own_folders() throws Exception {
    // Ten folders of 50 photos and a sub-folder of 50 more; pages of 100, 300 paths kept beyond
    // a page. The pages served from what a walk kept check the few folders they can come from,
    // and a photo added to one of them mid-pass is published in its place.
    Path root = Files.createDirectories(dir.resolve("tree"));
    java.util.TreeSet<String> expected = new java.util.TreeSet<>();
    for (int d = 0; d < 10; d++) {
      for (int f = 0; f < 100; f++) {
        String name = "20" + (10 + d) + (f < 50 ? "/" : "/sub/") + String.format("%03d.jpg", f);
        Files.createDirectories(root.resolve(name).getParent());
        Files.writeString(root.resolve(name), "x");
        expected.add(name);
      }
    }
    DirectorySource source = new DirectorySource("dir:tree", root, 100, CLOCK, 300);
    Pass pass =
        pass(
            source,
            root,
            (pages, names) -> {
              if (pages == 2) {
                Thread.sleep(50); // past the file system clock's tick since the folder was listed
                // On page 4, kept from page 1.
                Files.writeString(root.resolve("2013/sub/0505.jpg"), "x");
                expected.add("2013/sub/0505.jpg");
              }
            });
    List<Long> visits = pass.visits();

    assertThat(pass.names()).containsExactlyElementsOf(expected);
    // Page 1 walks 2010-2013 and a file of 2014; pages 2 and 3 check 5 folders each: the root,
    // the cursor's year and its sub-folder (where a file could come after the cursor), their own
    // year and its sub-folder; page 4's folder changed, so it walks.
    assertThat(visits.get(1)).isEqualTo(5);
    assertThat(visits.get(2)).isEqualTo(5);
    assertThat(visits.get(3)).isGreaterThan(50);
  }

  @Test
  void kept_pages_miss_nothing_at_the_end_of_a_pass_or_around_folders_named_like_images()
      throws Exception {
    // The last page of a pass reaches to the end of the tree: a file added to a folder after its
    // last path (z/, empty when the walk listed it) belongs in it.
    Path flat = Files.createDirectories(dir.resolve("end"));
    for (String name : List.of("a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg")) {
      Files.writeString(flat.resolve(name), "x");
    }
    Files.createDirectories(flat.resolve("z"));
    DirectorySource end = new DirectorySource("dir:end", flat, 2, CLOCK, 10);
    Pass first =
        pass(
            end,
            flat,
            (pages, names) -> {
              if (names.size() == 2) {
                Thread.sleep(50); // past the file system clock's tick since z/ was listed
                Files.writeString(flat.resolve("z/1.jpg"), "x");
              }
            });
    assertThat(first.names())
        .containsExactly("a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "z/1.jpg");

    // Two empty folders named like images fill a walk's first places; taken for files at first,
    // they are found out, and the walk made again leaves no gap in what it keeps (c/06-c/09).
    Path tree = Files.createDirectories(dir.resolve("named"));
    Files.createDirectories(tree.resolve("a.jpg"));
    Files.createDirectories(tree.resolve("b.jpg"));
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= 9; i++) {
      expected.add(String.format("c/%02d.jpg", i));
    }
    expected.addAll(List.of("d/1.jpg", "d/2.jpg"));
    for (String name : expected) {
      Files.createDirectories(tree.resolve(name).getParent());
      Files.writeString(tree.resolve(name), "x");
    }
    DirectorySource source = new DirectorySource("dir:named", tree, 2, CLOCK, 4);
    assertThat(pass(source, tree, (pages, names) -> {}).names()).isEqualTo(expected);
  }

  /** What runs after each page of a {@link #pass}: the pages so far, the paths so far. */
  private interface AfterPage {
    void run(int pages, List<String> names) throws Exception;
  }

  /** A pass's paths (relative to its root), in order, and each page's walk visits. */
  private record Pass(List<String> names, List<Long> visits) {}

  /** One pass of {@code source} from its start, page by page. */
  private static Pass pass(DirectorySource source, Path root, AfterPage afterPage)
      throws Exception {
    String base = root.toRealPath().toUri().toString();
    List<String> names = new ArrayList<>();
    List<Long> visits = new ArrayList<>();
    Optional<String> cursor = Optional.empty();
    do {
      SourcePage page = source.fetch(cursor);
      page.records().forEach(r -> names.add(r.url().substring(base.length())));
      visits.add(source.lastWalkVisits());
      cursor = page.after();
      afterPage.run(visits.size(), names);
    } while (cursor.isPresent());
    return new Pass(names, visits);
  }

  @Test
  void a_folder_that_cannot_be_read_is_skipped_and_counted_not_the_end_of_the_pass()
      throws Exception {
    Path root = Files.createDirectories(dir.resolve("mount"));
    Files.writeString(root.resolve("a.jpg"), "x");
    Path locked = Files.createDirectories(root.resolve("lost+found"));
    Files.writeString(locked.resolve("b.jpg"), "x");
    Files.writeString(root.resolve("z.png"), "x");
    Files.setPosixFilePermissions(locked, java.util.Set.of());
    try {
      org.junit.jupiter.api.Assumptions.assumeFalse(
          Files.isReadable(locked), "this user (root?) reads a folder of mode 000");
      DirectorySource source = new DirectorySource("dir:m", root, 10, CLOCK);
      SourcePage page = source.fetch(Optional.empty());
      String base = root.toRealPath().toUri().toString();
      assertThat(page.records())
          .extracting(CrawlRecord::url)
          .containsExactly(base + "a.jpg", base + "z.png");
      assertThat(page.skipped()).containsEntry("unreadable", 1);
      // The watcher starts too, watching what it can read.
      new io.memescope.crawler.dir.DirectoryWatcher(source.root(), () -> {}).close();
    } finally {
      Files.setPosixFilePermissions(
          locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void a_watcher_that_cannot_start_leaves_no_inotify_instance_behind() throws Exception {
    // Until 2026-12-07 a failed start (a root gone, past the watch limit) kept its inotify
    // descriptor and watches until the JVM exited, again each time the task was built.
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(Path.of("/proc/self/fd")), "no /proc here");
    Path gone = dir.resolve("gone");
    long before = inotifyInstances();
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> new io.memescope.crawler.dir.DirectoryWatcher(gone, () -> {}))
          .isInstanceOf(java.io.IOException.class);
    }
    assertThat(inotifyInstances()).isEqualTo(before);
  }

  /** This process's open inotify descriptors. */
  private static long inotifyInstances() throws Exception {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(
              fd -> {
                try {
                  return Files.readSymbolicLink(fd).toString().contains("inotify");
                } catch (java.io.IOException e) {
                  return false; // closed while listed (the listing's own descriptor)
                }
              })
          .count();
    }
  }

  @Test
  void a_file_changed_in_place_gets_a_new_seen_key_and_the_watcher_sees_new_files()
      throws Exception {
    Path root = Files.createDirectories(dir.resolve("watched"));
    Path meme = Files.writeString(root.resolve("a.jpg"), "first");
    DirectorySource source = new DirectorySource("dir:w", root, 10, CLOCK);
    var before = source.fetch(Optional.empty()).records().get(0);
    Files.writeString(meme, "second version");
    Files.setLastModifiedTime(meme, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
    var after = source.fetch(Optional.empty()).records().get(0);
    assertThat(after.url()).isEqualTo(before.url());
    assertThat(after.urlHash()).isEqualTo(before.urlHash());
    assertThat(after.seenKey()).isNotEqualTo(before.seenKey());

    var wakes = new java.util.concurrent.LinkedBlockingQueue<String>();
    try (var watcher =
        new io.memescope.crawler.dir.DirectoryWatcher(source.root(), () -> wakes.add("wake"))) {
      Path sub = Files.createDirectories(root.resolve("new/deeper"));
      assertThat(wakes.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isNotNull();
      Thread.sleep(300); // the new directories are registered before their files arrive
      wakes.clear();
      Files.writeString(sub.resolve("b.png"), "x");
      assertThat(wakes.poll(10, java.util.concurrent.TimeUnit.SECONDS))
          .as("a file in a directory created after the watch began")
          .isNotNull();
    }
  }

  @Test
  void a_zstd_dump_is_streamed_page_by_page_and_resumes_by_line() throws Exception {
    Path dump = dir.resolve("RS_2026-10.zst");
    try (OutputStream out = new ZstdOutputStream(Files.newOutputStream(dump)).setLong(27)) {
      for (int i = 0; i < 25; i++) {
        String line =
            i == 7
                ? "{not json"
                : "{\"name\":\"t3_"
                    + i
                    + "\",\"title\":\"t"
                    + i
                    + "\",\"url\":\"https://i.redd.it/"
                    + i
                    + ".jpg\",\"over_18\":"
                    + (i == 3)
                    + ",\"permalink\":\"/r/m/comments/"
                    + i
                    + "/\"}";
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    RedditDumpSource source =
        new RedditDumpSource(
            "dump:RS_2026-10",
            dump,
            10,
            new RedditListingParser("dump:RS_2026-10", "https://www.reddit.com", false),
            CLOCK);

    SourcePage first = source.fetch(Optional.empty());
    assertThat(first.after()).contains("10");
    assertThat(first.skipped()).containsEntry("nsfw", 1).containsEntry("bad_json", 1);
    assertThat(first.records()).hasSize(8);

    // A restart with the saved cursor continues at line 10.
    SourcePage second = source.fetch(first.after());
    assertThat(second.records())
        .extracting(CrawlRecord::url)
        .first()
        .isEqualTo("https://i.redd.it/10.jpg");
    SourcePage third = source.fetch(second.after());
    assertThat(third.records()).hasSize(5);
    assertThat(third.after()).isEmpty();
    assertThat(source.progress()).hasValue(1.0);
    // The next pass over the same file: nothing, without reading it (until 2026-12-07 every poll
    // decompressed the whole dump again to skip it all as already published).
    SourcePage again = source.fetch(Optional.empty());
    assertThat(again.records()).isEmpty();
    assertThat(again.after()).isEmpty();
    // A dump replaced at its path is read from its start.
    writeDump(dump, 500, 2);
    assertThat(source.fetch(Optional.empty()).records())
        .extracting(CrawlRecord::url)
        .containsExactly("https://i.redd.it/500.jpg", "https://i.redd.it/501.jpg");
  }

  @Test
  void a_dump_page_asked_for_again_after_a_failed_publish_is_not_decompressed_again()
      throws Exception {
    Path dump = dir.resolve("RS_again.zst");
    writeDump(dump, 0, 30);
    RedditDumpSource source =
        new RedditDumpSource(
            "dump:again",
            dump,
            10,
            new RedditListingParser("dump:again", "https://www.reddit.com", false),
            CLOCK);
    SourcePage first = source.fetch(Optional.empty());
    SourcePage second = source.fetch(first.after());
    // Publishing the second page failed, so its cursor was not saved: it is asked for again.
    // Meanwhile the path holds other bytes of the same size and time (read again, they would give
    // nothing): the page comes from memory, and the stream, still open on the file it was, goes on.
    byte[] garbage = new byte[(int) Files.size(dump)];
    java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(dump);
    Path other = Files.write(dir.resolve("other.zst"), garbage);
    Files.setLastModifiedTime(other, time);
    Files.move(other, dump, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    SourcePage again = source.fetch(first.after());
    assertThat(again.records())
        .extracting(CrawlRecord::url)
        .isEqualTo(second.records().stream().map(CrawlRecord::url).toList());
    assertThat(again.after()).contains("20");
    SourcePage third = source.fetch(again.after());
    assertThat(third.records())
        .extracting(CrawlRecord::url)
        .first()
        .isEqualTo("https://i.redd.it/20.jpg");

    // A dump of one page, replaced at its path by another: the next pass reads the new one.
    Path small = dir.resolve("RS_small.zst");
    writeDump(small, 0, 3);
    RedditDumpSource one =
        new RedditDumpSource(
            "dump:small",
            small,
            10,
            new RedditListingParser("dump:small", "https://www.reddit.com", false),
            CLOCK);
    assertThat(one.fetch(Optional.empty()).records()).hasSize(3);
    writeDump(small, 100, 5);
    assertThat(one.fetch(Optional.empty()).records())
        .extracting(CrawlRecord::url)
        .first()
        .isEqualTo("https://i.redd.it/100.jpg");
  }

  private static void writeDump(Path dump, int first, int count) throws java.io.IOException {
    try (OutputStream out = new ZstdOutputStream(Files.newOutputStream(dump)).setLong(27)) {
      for (int i = first; i < first + count; i++) {
        out.write(
            ("{\"name\":\"t3_"
                    + i
                    + "\",\"title\":\"t\",\"url\":\"https://i.redd.it/"
                    + i
                    + ".jpg\",\"permalink\":\"/r/m/comments/"
                    + i
                    + "/\"}\n")
                .getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void a_file_that_is_not_zstd_is_a_clear_error() throws Exception {
    Path bogus = Files.writeString(dir.resolve("bogus.zst"), "plain text, not zstd");
    RedditDumpSource source =
        new RedditDumpSource(
            "dump:x",
            bogus,
            10,
            new RedditListingParser("dump:x", "https://www.reddit.com", false),
            CLOCK);
    assertThatThrownBy(() -> source.fetch(Optional.empty()))
        .hasMessageContaining("cannot read as zstd-compressed NDJSON");
  }

  @Test
  void a_list_file_with_a_byte_order_mark_or_not_in_utf8_is_read_or_explained() throws Exception {
    Path bom = dir.resolve("excel.csv");
    java.nio.file.Files.writeString(
        bom, "\uFEFFurl,title\nhttps://f.example/a.png,first\n", StandardCharsets.UTF_8);
    var page =
        new io.memescope.crawler.list.UrlListSource("list:bom", bom, 100, CLOCK)
            .fetch(java.util.Optional.empty());
    assertThat(page.records())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.url()).isEqualTo("https://f.example/a.png");
              assertThat(r.title()).isEqualTo("first");
            });
    assertThat(page.skipped()).isEmpty();

    // One line in another encoding is skipped and counted; the lines after it are read. (Until
    // 2026-12-06 it failed the page, and every later pass on it.)
    Path mixed = dir.resolve("mixed.csv");
    java.nio.file.Files.write(
        mixed,
        concat(
            "url,title\nhttps://f.example/a.png,ok\n".getBytes(StandardCharsets.UTF_8),
            "https://f.example/b.png,caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1),
            "https://f.example/c.png,na\u00efve\n".getBytes(StandardCharsets.UTF_8)));
    var mixedPage =
        new io.memescope.crawler.list.UrlListSource("list:m", mixed, 100, CLOCK)
            .fetch(java.util.Optional.empty());
    assertThat(mixedPage.records())
        .extracting(r -> r.url() + " " + r.title())
        .containsExactly("https://f.example/a.png ok", "https://f.example/c.png na\u00efve");
    assertThat(mixedPage.skipped()).containsEntry("not_utf8", 1);

    // A header in another encoding: the file as a whole, said so.
    Path latin1 = dir.resolve("latin1.csv");
    java.nio.file.Files.writeString(
        latin1, "url,t\u00eftle\nhttps://f.example/b.png,caf\u00e9\n", StandardCharsets.ISO_8859_1);
    assertThatThrownBy(
            () ->
                new io.memescope.crawler.list.UrlListSource("list:l", latin1, 100, CLOCK)
                    .fetch(java.util.Optional.empty()))
        .hasMessageContaining(latin1 + ": not UTF-8 text");
    assertThatThrownBy(
            () ->
                new io.memescope.crawler.list.UrlListSource("list:d", dir, 100, CLOCK)
                    .fetch(java.util.Optional.empty()))
        .hasMessageContaining(dir + ": a directory, not a list file");
  }

  @Test
  void a_long_list_is_streamed_a_page_at_a_time_and_its_cursors_survive_an_older_form()
      throws Exception {
    // 200,000 lines (6 MB). Until 2026-12-06 every page read the whole file into one string and
    // split it into lines: a list of a million URLs ran the crawler service (256 MB heap) out of
    // memory, and the pages of a list cost the square of its length.
    Path list = dir.resolve("big.txt");
    try (var out = Files.newBufferedWriter(list, StandardCharsets.UTF_8)) {
      out.write("# my memes\r\n");
      for (int i = 1; i <= 200_000; i++) {
        out.write("https://f.example/" + i + ".jpg\r\n");
      }
      out.write("a".repeat(100_000) + "\n"); // no URL: skipped, not held
      out.write("https://f.example/last.jpg"); // no line end
    }
    var source = new io.memescope.crawler.list.UrlListSource("list:big", list, 100, CLOCK);
    var threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    source.fetch(Optional.empty()); // classes loaded before counting

    String at150000 = "150000@" + offsetOfLine(list, 150_000);
    long before = threads.getThreadAllocatedBytes(thread);
    SourcePage first = source.fetch(Optional.empty());
    SourcePage middle = source.fetch(Optional.of(at150000));
    long allocated = threads.getThreadAllocatedBytes(thread) - before;
    assertThat(first.records()).hasSize(99); // line 0 is a comment
    assertThat(first.records().get(0).url()).isEqualTo("https://f.example/1.jpg");
    assertThat(first.after()).hasValueSatisfying(c -> assertThat(c).startsWith("100@"));
    assertThat(middle.records().get(0).url()).isEqualTo("https://f.example/150000.jpg");
    assertThat(allocated).as("bytes allocated to read two pages").isLessThan(4L << 20);

    // A bare line number (the cursor before 2026-12-06), or an offset that no longer starts a
    // line (the file was replaced), is found again by counting lines.
    assertThat(source.fetch(Optional.of("150000")).records()).isEqualTo(middle.records());
    long inside = offsetOfLine(list, 150_000) + 3;
    assertThat(source.fetch(Optional.of("150000@" + inside)).records()).isEqualTo(middle.records());

    SourcePage end = source.fetch(Optional.of("199990@" + offsetOfLine(list, 199_990)));
    assertThat(end.records())
        .extracting(CrawlRecord::url)
        .hasSize(12)
        .startsWith("https://f.example/199990.jpg")
        .endsWith("https://f.example/200000.jpg", "https://f.example/last.jpg");
    assertThat(end.skipped()).containsEntry("bad_line", 1);
    assertThat(end.after()).isEmpty();
    assertThat(source.progress().getAsDouble()).isEqualTo(1.0);
  }

  @Test
  void a_csv_list_keeps_its_header_on_every_page() throws Exception {
    Path list = dir.resolve("titled.csv");
    StringBuilder text = new StringBuilder("title,url\n");
    for (int i = 1; i <= 2_500; i++) {
      text.append("t").append(i).append(",https://f.example/").append(i).append(".jpg\n");
    }
    Files.writeString(list, text, StandardCharsets.UTF_8);
    var source = new io.memescope.crawler.list.UrlListSource("list:csv", list, 1000, CLOCK);
    List<CrawlRecord> all = new ArrayList<>();
    SourcePage page = source.fetch(Optional.empty());
    all.addAll(page.records());
    while (page.after().isPresent()) {
      page = source.fetch(page.after());
      all.addAll(page.records());
    }
    assertThat(all).hasSize(2_500);
    assertThat(all.get(1_999).url()).isEqualTo("https://f.example/2000.jpg");
    assertThat(all.get(1_999).title()).isEqualTo("t2000");
  }

  @Test
  void a_list_with_old_mac_line_ends_or_a_huge_first_line_is_read_line_by_line() throws Exception {
    // A lone CR ends a line, as String.lines() (used until 2026-12-06) splits it: lists saved as
    // "CSV (Macintosh)" have no other line end.
    Path mac = dir.resolve("mac.csv");
    Files.writeString(
        mac,
        "url,title\rhttps://f.example/1.jpg,one\rhttps://f.example/2.jpg,two\r\nhttps://f.example/3.jpg,three",
        StandardCharsets.UTF_8);
    var source = new io.memescope.crawler.list.UrlListSource("list:mac", mac, 2, CLOCK);
    SourcePage first = source.fetch(Optional.empty());
    assertThat(first.records()).extracting(CrawlRecord::title).containsExactly("one");
    SourcePage rest = source.fetch(first.after());
    assertThat(rest.records()).extracting(CrawlRecord::title).containsExactly("two", "three");
    assertThat(source.fetch(Optional.of("2")).records()).isEqualTo(rest.records());

    Path huge = dir.resolve("huge.txt");
    Files.writeString(huge, "x".repeat(100_000) + "\nhttps://f.example/after.jpg\n");
    SourcePage page =
        new io.memescope.crawler.list.UrlListSource("list:huge", huge, 10, CLOCK)
            .fetch(Optional.empty());
    assertThat(page.records())
        .extracting(CrawlRecord::url)
        .containsExactly("https://f.example/after.jpg");
    assertThat(page.skipped()).containsEntry("bad_line", 1);
  }

  /** The byte at which line {@code n} (0-based) of {@code file} starts. */
  private static long offsetOfLine(Path file, int n) throws Exception {
    byte[] bytes = Files.readAllBytes(file);
    int line = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (line == n) {
        return i;
      }
      if (bytes[i] == '\n') {
        line++;
      }
    }
    throw new AssertionError("no line " + n);
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
