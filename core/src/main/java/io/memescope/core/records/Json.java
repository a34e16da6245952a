package io.memescope.core.records;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The JSON mapping of every record Memescope puts on Kafka: ISO-8601 instants, no nulls. */
public final class Json {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private Json() {}

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses {@code bytes}; a malformed record is an {@link IOException} naming the problem. */
  public static <T> T read(byte[] bytes, Class<T> type) throws IOException {
    return MAPPER.readValue(bytes, type);
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * What is wrong with a request body, for its sender: where ("line 1, column 10") and Jackson's
   * reason without its internals (the source description, the feature that would allow it).
   */
  public static String describe(com.fasterxml.jackson.core.JsonProcessingException e) {
    String reason = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage();
    for (String cut :
        new String[] {" (start marker", ": enable ", "\n at [Source", " at [Source"}) {
      int at = reason.indexOf(cut);
      if (at > 0) {
        reason = reason.substring(0, at);
      }
    }
    reason = reason.strip();
    var where = e.getLocation();
    return where == null || where.getLineNr() < 1
        ? reason
        : "line " + where.getLineNr() + ", column " + where.getColumnNr() + ": " + reason;
  }
}
