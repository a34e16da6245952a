package io.memescope.crawler;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One document tree at a time in this process: an HTML page, an RSS or Atom feed, or a Reddit
 * listing. A tree takes 10 to 40 times its document's bytes (an HTML page's first 2 MiB up to about
 * 90 MB, a feed's 10 to 20 times its bytes: 16 MiB of feed up to about 200 MB), and the crawler
 * service reads its sources on four threads at once: trees built side by side took more than its
 * heap (256 MB on the local stack), and the {@link OutOfMemoryError} could strike any of its
 * threads.
 *
 * <p>Fair, so that a source waiting is not overtaken for ever. Parsing is short next to the polite
 * pauses between requests, so the turns cost the crawl little.
 */
public final class ParseTurns {
  /** Held for a whole parse: while the tree is built and while records are read out of it. */
  private static final ReentrantLock TURN = new ReentrantLock(true);

  /** A parse that builds a tree, and what it reads out of it. */
  @FunctionalInterface
  public interface Parse<T, E extends Exception> {
    T run() throws E;
  }

  private ParseTurns() {}

  /** {@code parse}, when no other parse of this process is under way. */
  public static <T, E extends Exception> T alone(Parse<T, E> parse) throws E {
    TURN.lock();
    try {
      return parse.run();
    } finally {
      TURN.unlock();
    }
  }
}
