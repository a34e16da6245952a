package io.memescope.infra.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * One line for a file-system error, with its reason: Java's own message of an {@link
 * AccessDeniedException} is only the path, and said nothing of a permission.
 */
public final class IoErrors {
  private IoErrors() {}

  /** The error as a user reads it, e.g. {@code cannot create /x/run: /x/run: permission denied}. */
  public static String describe(Throwable e) {
    Throwable io = e instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : e;
    String reason = io instanceof IOException i ? reason(i) : String.valueOf(io.getMessage());
    if (io != e && e.getMessage() != null && !e.getMessage().equals(io.toString())) {
      return e.getMessage() + ": " + reason;
    }
    return reason;
  }

  private static String reason(IOException e) {
    if (e instanceof FileSystemException f) {
      String kind =
          f.getReason() != null
              ? f.getReason()
              : f instanceof AccessDeniedException
                  ? "permission denied"
                  : f instanceof NoSuchFileException
                      ? "no such file or directory"
                      : f instanceof FileAlreadyExistsException
                          ? "exists already (and is not a directory?)"
                          : f instanceof NotDirectoryException
                              ? "not a directory"
                              : f instanceof DirectoryNotEmptyException
                                  ? "directory not empty"
                                  : f.getClass().getSimpleName();
      return (f.getFile() == null ? "" : f.getFile() + ": ") + kind;
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
