package io.memescope.crawler.dir;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a directory tree (inotify on Linux) and calls {@code onChange} when a file is created or
 * modified anywhere in it; directories created later are watched too. The callback only wakes the
 * source: the walk that follows finds what changed, so lost events (an overflow, a tree larger than
 * the system's watch limit) cost only latency, as the regular poll still runs.
 */
public final class DirectoryWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DirectoryWatcher.class);

  private final WatchService watcher;
  private final Runnable onChange;
  private final Thread thread;

  public DirectoryWatcher(Path root, Runnable onChange) throws IOException {
    this.watcher = FileSystems.getDefault().newWatchService();
    this.onChange = onChange;
    try {
      registerTree(root);
    } catch (IOException | RuntimeException e) {
      // Its descriptor and every watch made so far would stay until the JVM exits (until
      // 2026-12-07), each time the source's task is built again.
      watcher.close();
      throw e;
    }
    this.thread = new Thread(this::loop, "watch-" + root.getFileName());
    thread.setDaemon(true);
    thread.start();
  }

  /** Watches {@code dir} and every folder under it that can be read (the others are skipped). */
  private void registerTree(Path dir) throws IOException {
    int[] unwatched = {0};
    Files.walkFileTree(
        dir,
        new java.nio.file.SimpleFileVisitor<>() {
          @Override
          public java.nio.file.FileVisitResult preVisitDirectory(
              Path d, java.nio.file.attribute.BasicFileAttributes attrs) throws IOException {
            try {
              d.register(watcher, ENTRY_CREATE, ENTRY_MODIFY);
            } catch (IOException e) {
              if (d.equals(dir)) {
                throw e;
              }
              // Past the system's watch limit (fs.inotify.max_user_watches) every register
              // fails: the rest of the tree is left to the regular poll, as the class says.
              if (unwatched[0]++ == 0) {
                LOG.warn("cannot watch {} and what is under it: {}", d, e.toString());
              }
              return java.nio.file.FileVisitResult.SKIP_SUBTREE;
            }
            return java.nio.file.FileVisitResult.CONTINUE;
          }

          @Override
          public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e)
              throws IOException {
            if (file.equals(dir)) {
              throw e;
            }
            LOG.warn("cannot watch {}: {}", file, e.toString());
            return java.nio.file.FileVisitResult.CONTINUE;
          }
        });
    if (unwatched[0] > 1) {
      LOG.warn(
          "{} folders under {} are not watched; changes there are found by the regular poll",
          unwatched[0],
          dir);
    }
  }

  private void loop() {
    try {
      while (true) {
        WatchKey key = watcher.take();
        Path dir = (Path) key.watchable();
        for (WatchEvent<?> event : key.pollEvents()) {
          if (event.kind() == ENTRY_CREATE) {
            Path created = dir.resolve((Path) event.context());
            if (Files.isDirectory(created)) {
              try {
                registerTree(created);
              } catch (IOException e) {
                LOG.warn("cannot watch {}: {}", created, e.toString());
              }
            }
          } else if (event.kind() == OVERFLOW) {
            LOG.info("watch events lost under {}; the next pass walks the whole tree", dir);
          }
        }
        key.reset();
        onChange.run();
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed
    }
  }

  @Override
  public void close() throws IOException {
    watcher.close();
    thread.interrupt();
  }
}
