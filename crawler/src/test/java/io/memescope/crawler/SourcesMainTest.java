package io.memescope.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Adding a dir source warns when the ingest job would refuse its files. */
class SourcesMainTest {
  @Test
  void a_directory_outside_the_file_roots_gets_a_warning_that_says_what_to_do() {
    String w = SourcesMain.outsideFileRoots(Path.of("/data/memes"), List.of(Path.of("/srv/a")));
    assertThat(w)
        .contains("/data/memes is not under ingest.fetch.file-roots [/srv/a]")
        .contains("file_not_allowed")
        .contains("ingest.fetch.file-roots = [\"/data/memes\"]")
        .contains("./memescope ingest cancel");
    assertThat(SourcesMain.outsideFileRoots(Path.of("/data/memes"), List.of())).isNotNull();
  }

  @Test
  void a_directory_under_a_root_gets_none() {
    List<Path> roots = List.of(Path.of("/srv/a"), Path.of("/data"));
    assertThat(SourcesMain.outsideFileRoots(Path.of("/data/memes/x"), roots)).isNull();
    assertThat(SourcesMain.outsideFileRoots(Path.of("/data"), roots)).isNull();
    // A sibling whose name starts like a root is not under it.
    assertThat(SourcesMain.outsideFileRoots(Path.of("/database"), roots)).isNotNull();
    assertThat(SourcesMain.outsideFileRoots(Path.of("/data/../etc"), roots)).isNotNull();
  }

  @Test
  void a_dir_source_on_a_file_is_refused_before_anything_is_stored() throws Exception {
    Path file = java.nio.file.Files.createTempFile("memescope-urls", ".txt");
    try {
      Outcome o = run("add", "x", "dir", file.toString());
      assertThat(o.code()).isEqualTo(1);
      assertThat(o.err()).contains("is a file, not a directory");
    } finally {
      java.nio.file.Files.delete(file);
    }
  }

  @Test
  void a_link_inside_a_root_that_leads_out_of_it_gets_a_warning(
      @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path root = java.nio.file.Files.createDirectory(tmp.resolve("root"));
    Path outside = java.nio.file.Files.createDirectory(tmp.resolve("outside"));
    Path inside = java.nio.file.Files.createDirectory(root.resolve("memes"));
    Path link = java.nio.file.Files.createSymbolicLink(root.resolve("link"), outside);
    assertThat(SourcesMain.outsideFileRoots(inside, List.of(root))).isNull();
    // The fetcher resolves links too: the files behind this one are outside the root.
    assertThat(SourcesMain.outsideFileRoots(link, List.of(root))).contains("is not under");
  }

  @Test
  void private_hosts_the_job_would_refuse_get_a_warning() {
    assertThat(SourcesMain.privateHostsTheJobRefuses(List.of("127.0.0.1", "nas"), List.of("nas")))
        .contains("images on [127.0.0.1] will be rejected as blocked_address")
        .contains("ingest.fetch.allow-private-hosts [nas]");
    assertThat(SourcesMain.privateHostsTheJobRefuses(List.of("nas"), List.of("nas"))).isNull();
    assertThat(SourcesMain.privateHostsTheJobRefuses(List.of(), List.of())).isNull();
  }

  @Test
  void a_list_source_on_a_url_or_a_directory_is_refused_with_what_it_takes() throws Exception {
    for (String[] c :
        new String[][] {
          {"list", "http://127.0.0.1:18000/list.txt", "reads a local path, not http://"},
          {"list", System.getProperty("java.io.tmpdir"), "is a directory; a list source"},
        }) {
      Outcome o = run("add", "x", c[0], c[1]);
      assertThat(o.code()).as(c[1]).isEqualTo(1);
      assertThat(o.err()).contains(c[2]);
    }
  }

  private record Outcome(int code, String err) {}

  /** {@code memescope sources ARGS}, with what it printed on standard error. */
  private static Outcome run(String... args) {
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      int code = SourcesMain.run(args);
      return new Outcome(code, captured.toString(java.nio.charset.StandardCharsets.UTF_8));
    } finally {
      System.setErr(err);
    }
  }
}
