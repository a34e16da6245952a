package io.memescope.serving;

import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.config.ServingSettings;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A validated search: its terms, page size, cursor and filters. Every refusal names the field, as
 * {@code terms[2].weight}.
 */
record SearchRequest(List<Term> terms, int limit, String cursor, Filters filters, String sort) {
  static final String RELEVANCE = "relevance";
  static final String QUALITY = "quality";

  /** One term: exactly one of text, image bytes, image id or embedding, and its weight. */
  record Term(String text, byte[] image, String imageId, float[] embedding, float weight) {}

  /** Scalar filters; nulls are absent. */
  record Filters(Float minQuality, List<String> sources, Instant since, Instant until) {
    static final Filters NONE = new Filters(null, List.of(), null, null);

    /** A Milvus boolean expression, or "" for none. Values are validated, so none is quoted. */
    String milvusExpression() {
      List<String> parts = new ArrayList<>();
      if (minQuality != null) {
        parts.add("quality >= " + minQuality);
      }
      if (!sources.isEmpty()) {
        parts.add(
            "source in ["
                + String.join(",", sources.stream().map(s -> "\"" + s + "\"").toList())
                + "]");
      }
      if (since != null) {
        parts.add("first_seen >= " + since.toEpochMilli());
      }
      if (until != null) {
        parts.add("first_seen < " + until.toEpochMilli());
      }
      return String.join(" and ", parts);
    }
  }

  static final Pattern IMAGE_ID = Pattern.compile("[0-9a-f]{32}");

  private static final Pattern BLANKS = Pattern.compile("[\\s]+");
  static final Pattern SOURCE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,256}");
  static final int MAX_TEXT = 1000;
  static final int MAX_CURSOR = 1024;
  static final int MAX_SOURCES = 50;
  static final float MAX_WEIGHT = 100f;
  private static final Set<String> TOP_FIELDS =
      Set.of("terms", "limit", "cursor", "filters", "sort");
  private static final Set<String> TERM_KINDS = Set.of("text", "image", "imageId", "embedding");
  private static final Set<String> FILTER_FIELDS =
      Set.of("minQuality", "sources", "since", "until");

  /** Parses and validates a request body; {@code dimension} is the model's. */
  static SearchRequest parse(JsonNode body, ServingSettings settings, int dimension) {
    if (body == null || !body.isObject()) {
      throw ApiException.badRequest("body", "must be a JSON object");
    }
    unknownFields(body, TOP_FIELDS, "");
    List<Term> terms = new ArrayList<>();
    JsonNode termsNode = body.get("terms");
    if (termsNode != null && !termsNode.isNull()) {
      if (!termsNode.isArray()) {
        throw ApiException.badRequest("terms", "must be an array");
      }
      if (termsNode.size() > settings.maxTerms()) {
        throw ApiException.badRequest(
            "terms", "at most " + settings.maxTerms() + " terms, not " + termsNode.size());
      }
      for (int i = 0; i < termsNode.size(); i++) {
        terms.add(term(termsNode.get(i), "terms[" + i + "]", settings, dimension));
      }
    }
    int limit = limit(body.get("limit"), settings);
    String cursor = cursor(body.get("cursor"));
    Filters filters = filters(body.get("filters"));
    String sort = RELEVANCE;
    JsonNode sortNode = body.get("sort");
    if (sortNode != null && !sortNode.isNull()) {
      if (!sortNode.isTextual() || !Set.of(RELEVANCE, QUALITY).contains(sortNode.asText())) {
        throw ApiException.badRequest("sort", "must be relevance or quality");
      }
      sort = sortNode.asText();
    }
    return new SearchRequest(List.copyOf(terms), limit, cursor, filters, sort);
  }

  static int limit(JsonNode node, ServingSettings settings) {
    if (node == null || node.isNull()) {
      return settings.defaultPageSize();
    }
    // canConvertToInt: a number past a long (a BigInteger) wrapped round to a small one.
    if (!node.isIntegralNumber()
        || !node.canConvertToInt()
        || node.asInt() < 1
        || node.asInt() > settings.maxPageSize()) {
      throw ApiException.badRequest(
          "limit", "must be a whole number from 1 to " + settings.maxPageSize());
    }
    return node.asInt();
  }

  /** The {@code limit} query parameter of GET endpoints. */
  static int limit(String value, ServingSettings settings) {
    if (value == null || value.isBlank()) {
      return settings.defaultPageSize();
    }
    try {
      int n = Integer.parseInt(value.strip());
      if (n >= 1 && n <= settings.maxPageSize()) {
        return n;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw ApiException.badRequest(
        "limit", "must be a whole number from 1 to " + settings.maxPageSize());
  }

  static String cursor(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual() || node.asText().length() > MAX_CURSOR) {
      throw ApiException.badRequest("cursor", "must be a cursor string from an earlier answer");
    }
    return node.asText();
  }

  private static Term term(JsonNode node, String field, ServingSettings settings, int dimension) {
    if (node == null || !node.isObject()) {
      throw ApiException.badRequest(field, "must be an object");
    }
    List<String> kinds = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (TERM_KINDS.contains(name)) {
        kinds.add(name);
      } else if (!"weight".equals(name)) {
        throw ApiException.badRequest(
            field + "." + name, "unknown field; a term has text, image, imageId or embedding");
      }
    }
    if (kinds.size() != 1) {
      throw ApiException.badRequest(
          field, "needs exactly one of text, image, imageId or embedding, not " + kinds);
    }
    float weight = weight(node.get("weight"), field + ".weight");
    String kind = kinds.get(0);
    JsonNode value = node.get(kind);
    String f = field + "." + kind;
    switch (kind) {
      case "text" -> {
        if (!value.isTextual() || value.asText().isBlank()) {
          throw ApiException.badRequest(f, "must be a non-empty string");
        }
        // In characters as JSON Schema's maxLength counts them (code points, not UTF-16 units):
        // an emoji is one.
        String t = value.asText();
        if (t.codePointCount(0, t.length()) > MAX_TEXT) {
          throw ApiException.badRequest(f, "at most " + MAX_TEXT + " characters");
        }
        return new Term(value.asText().strip(), null, null, null, weight);
      }
      case "image" -> {
        return new Term(null, image(value, f, settings.maxUploadBytes()), null, null, weight);
      }
      case "imageId" -> {
        if (!value.isTextual() || !IMAGE_ID.matcher(value.asText()).matches()) {
          throw ApiException.badRequest(f, "must be an image id (32 lower-case hex digits)");
        }
        return new Term(null, null, value.asText(), null, weight);
      }
      default -> {
        return new Term(null, null, null, embedding(value, f, dimension), weight);
      }
    }
  }

  static float weight(JsonNode node, String field) {
    if (node == null || node.isNull()) {
      return 1f;
    }
    if (!node.isNumber()) {
      throw ApiException.badRequest(field, "must be a number");
    }
    double w = node.asDouble();
    // A weight that becomes 0 as a float (1e-50) would be dropped without a word.
    if (!Double.isFinite(w) || (float) w == 0 || Math.abs(w) > MAX_WEIGHT) {
      throw ApiException.badRequest(
          field, "must be non-zero and between -" + MAX_WEIGHT + " and " + MAX_WEIGHT);
    }
    return (float) w;
  }

  static byte[] image(JsonNode value, String field, long maxBytes) {
    if (!value.isTextual() || value.asText().isEmpty()) {
      throw ApiException.badRequest(field, "must be a base64 string");
    }
    String text = value.asText();
    if (text.startsWith("data:")) {
      int comma = text.indexOf(',');
      if (comma < 0 || !text.substring(0, comma).endsWith(";base64")) {
        throw ApiException.badRequest(field, "a data: URL must be base64");
      }
      text = text.substring(comma + 1);
    }
    if ((long) text.length() * 3 / 4 > maxBytes + 2) {
      throw ApiException.tooLarge(field, "the image is over " + (maxBytes >> 20) + " MiB");
    }
    byte[] bytes;
    try {
      // Strict, after line breaks and blanks are dropped: the MIME decoder skipped any character
      // outside the alphabet, so "!!!" was an image of no bytes, charged and queued for the model.
      bytes = Base64.getDecoder().decode(BLANKS.matcher(text).replaceAll(""));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(field, "is not valid base64: " + e.getMessage());
    }
    if (bytes.length == 0) {
      throw ApiException.badRequest(field, "is empty: no image bytes");
    }
    return bytes;
  }

  private static float[] embedding(JsonNode value, String field, int dimension) {
    if (!value.isArray() || value.size() != dimension) {
      throw ApiException.badRequest(
          field, "must be an array of " + dimension + " numbers (the model's dimension)");
    }
    float[] v = new float[dimension];
    double norm = 0;
    for (int i = 0; i < dimension; i++) {
      JsonNode x = value.get(i);
      // Finite as a float too: 1e39 is a finite double but an infinite float, which would make
      // the whole query vector NaN.
      if (!x.isNumber() || !Float.isFinite((float) x.asDouble())) {
        throw ApiException.badRequest(
            field + "[" + i + "]", "must be a finite number within a float's range (±3.4e38)");
      }
      v[i] = (float) x.asDouble();
      norm += v[i] * (double) v[i];
    }
    if (norm == 0) {
      throw ApiException.badRequest(field, "must not be all zeros");
    }
    return v;
  }

  private static Filters filters(JsonNode node) {
    if (node == null || node.isNull()) {
      return Filters.NONE;
    }
    if (!node.isObject()) {
      throw ApiException.badRequest("filters", "must be an object");
    }
    unknownFields(node, FILTER_FIELDS, "filters.");
    Float minQuality = null;
    JsonNode q = node.get("minQuality");
    if (q != null && !q.isNull()) {
      if (!q.isNumber() || !(q.asDouble() >= 0 && q.asDouble() <= 1)) {
        throw ApiException.badRequest(
            "filters.minQuality",
            "must be a number from 0 to 1 (qualities are percentiles of the scored images)");
      }
      minQuality = (float) q.asDouble();
    }
    List<String> sources = new ArrayList<>();
    JsonNode s = node.get("sources");
    if (s != null && !s.isNull()) {
      if (!s.isArray() || s.size() > MAX_SOURCES) {
        throw ApiException.badRequest(
            "filters.sources", "must be an array of at most " + MAX_SOURCES + " source ids");
      }
      for (int i = 0; i < s.size(); i++) {
        JsonNode id = s.get(i);
        if (!id.isTextual() || !SOURCE_ID.matcher(id.asText()).matches()) {
          throw ApiException.badRequest(
              "filters.sources[" + i + "]", "must be a source id (letters, digits, . _ : -)");
        }
        sources.add(id.asText());
      }
    }
    Instant since = instant(node.get("since"), "filters.since");
    Instant until = instant(node.get("until"), "filters.until");
    if (since != null && until != null && !since.isBefore(until)) {
      throw ApiException.badRequest("filters.until", "must be after filters.since");
    }
    return new Filters(minQuality, List.copyOf(sources), since, until);
  }

  private static final Instant MIN_INSTANT = Instant.parse("0000-01-01T00:00:00Z");
  private static final Instant MAX_INSTANT = Instant.parse("9999-12-31T23:59:59.999Z");

  private static Instant instant(JsonNode node, String field) {
    if (node == null || node.isNull() || (node.isTextual() && node.asText().isEmpty())) {
      return null;
    }
    if (!node.isTextual()) {
      throw ApiException.badRequest(field, "must be an ISO-8601 date or instant");
    }
    String text = node.asText();
    Instant at;
    try {
      at =
          text.length() == 10
              ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant()
              : Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest(
          field, "must be an ISO-8601 date (2026-11-01) or instant (2026-11-01T12:00:00Z)");
    }
    // The filter compares milliseconds since 1970 (a long): a year such as +300000000 parses, but
    // has none, and used to fail the request with a 500.
    if (at.isBefore(MIN_INSTANT) || at.isAfter(MAX_INSTANT)) {
      throw ApiException.badRequest(field, "must be between the years 0 and 9999");
    }
    return at;
  }

  private static void unknownFields(JsonNode node, Set<String> known, String prefix) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        throw ApiException.badRequest(prefix + name, "unknown field; known: " + known);
      }
    }
  }
}
