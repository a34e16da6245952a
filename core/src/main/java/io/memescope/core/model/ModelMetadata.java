package io.memescope.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The metadata file of a model directory ({@code metadata.json}). This reads what the rest of the
 * system needs to agree on: the model's name and its embedding dimension. The encoder reads the
 * preprocessing fields itself.
 */
public record ModelMetadata(String name, int embeddingDim) {
  public static final String FILE = "metadata.json";

  /** Reads {@code dir/metadata.json}; every problem names the file and the field. */
  public static ModelMetadata read(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new ModelFormatException(file + ": missing (no model installed in " + dir + ")");
    }
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new ModelFormatException(file + ": not valid JSON: " + e.getMessage());
    }
    String name = requireText(file, root, "name");
    JsonNode dim = root.get("embedding_dim");
    if (dim == null || !dim.canConvertToInt() || dim.asInt() < 1) {
      throw new ModelFormatException(file + ": field embedding_dim must be a positive integer");
    }
    return new ModelMetadata(name, dim.asInt());
  }

  static String requireText(Path file, JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || !node.isTextual() || node.asText().isBlank()) {
      throw new ModelFormatException(file + ": field " + field + " must be a non-empty string");
    }
    return node.asText();
  }
}
