package io.memescope.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The metadata file of a model directory ({@code metadata.json}, written by {@code
 * infra/models/export_openclip.py}): everything needed to reproduce the reference implementation's
 * preprocessing and tokenisation, read once. Every problem names the file and the field.
 *
 * <pre>{@code
 * ModelMetadata meta = ModelMetadata.read(Path.of("models/tiny"));
 * meta.embeddingDim();   // 64
 * }</pre>
 */
public record ModelMetadata(
    String name,
    String pretrained,
    int embeddingDim,
    int imageSize,
    String resizeMode,
    String cropMode,
    String interpolation,
    float[] mean,
    float[] std,
    int contextLength,
    int sotTokenId,
    int eotTokenId,
    int padTokenId,
    String textPooling,
    boolean lowercase,
    String tokenizerMode,
    String textClean,
    String imageEncoder,
    String textEncoder,
    String tokenizer,
    String source,
    String license,
    boolean tiny) {

  public static final String FILE = "metadata.json";
  static final Set<String> RESIZE_MODES = Set.of("shortest", "squash");
  static final Set<String> CROP_MODES = Set.of("center", "none");
  // Only what ClipPreprocessor implements: a model asking for another filter is refused rather
  // than silently resized with the wrong one.
  static final Set<String> INTERPOLATIONS = Set.of("bicubic");

  /**
   * {@code clip}: open_clip's SimpleTokenizer (CLIP BPE; start/end tokens added by Memescope, pad
   * 0). {@code hf}: open_clip's HFTokenizer (the tokenizer file adds its own special tokens; padded
   * with {@code pad_token_id}), as SigLIP models use.
   */
  static final Set<String> TOKENIZER_MODES = Set.of("clip", "hf");

  /**
   * open_clip's text cleaning: {@code lower}, {@code canonicalize} (SigLIP), {@code whitespace}.
   */
  static final Set<String> TEXT_CLEANS = Set.of("lower", "canonicalize", "whitespace");

  /** Reads {@code dir/metadata.json} and checks that the files it names exist. */
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
    Fields f = new Fields(file, root);
    ModelMetadata meta =
        new ModelMetadata(
            f.text("name"),
            f.optText("pretrained", ""),
            f.positiveInt("embedding_dim"),
            f.optPositiveInt("image_size", 224),
            f.oneOf("resize_mode", RESIZE_MODES, "shortest"),
            f.oneOf("crop_mode", CROP_MODES, "center"),
            f.oneOf("interpolation", INTERPOLATIONS, "bicubic"),
            f.triple("mean"),
            f.positiveTriple("std"),
            f.optPositiveInt("context_length", 77),
            f.optInt("sot_token_id", 49406),
            f.optInt("eot_token_id", 49407),
            f.optInt("pad_token_id", 0),
            f.oneOf("text_pooling", Set.of("argmax", "last", "first"), "argmax"),
            f.optBool("lowercase", true),
            f.oneOf("tokenizer_mode", TOKENIZER_MODES, "clip"),
            f.oneOf("text_clean", TEXT_CLEANS, "lower"),
            f.file(dir, "image_encoder", "image_encoder.pt"),
            f.file(dir, "text_encoder", "text_encoder.pt"),
            f.file(dir, "tokenizer", "tokenizer.json"),
            f.optText("source", ""),
            f.optText("license", ""),
            f.optBool("tiny", false));
    if (meta.cropMode().equals("none") && !meta.resizeMode().equals("squash")) {
      // The preprocessor always takes the centre square: without a crop, only a squash to the
      // square gives the model its whole input; anything else would be cropped after all.
      throw f.error(
          "crop_mode", "is none, which needs resize_mode squash, not " + meta.resizeMode());
    }
    return meta;
  }

  /** Typed reads of one JSON object, each failure naming the file and the field. */
  private record Fields(Path file, JsonNode root) {
    ModelFormatException error(String field, String problem) {
      return new ModelFormatException(file + ": field " + field + " " + problem);
    }

    String text(String field) {
      JsonNode node = root.get(field);
      if (node == null || !node.isTextual() || node.asText().isBlank()) {
        throw error(field, "must be a non-empty string");
      }
      return node.asText();
    }

    String optText(String field, String fallback) {
      return root.has(field) ? text(field) : fallback;
    }

    int optInt(String field, int fallback) {
      JsonNode node = root.get(field);
      if (node == null) {
        return fallback;
      }
      if (!node.isIntegralNumber()) {
        throw error(field, "must be an integer");
      }
      return node.asInt();
    }

    int positiveInt(String field) {
      if (!root.has(field)) {
        throw error(field, "is missing");
      }
      return optPositiveInt(field, 0);
    }

    int optPositiveInt(String field, int fallback) {
      int value = optInt(field, fallback);
      if (value < 1) {
        throw error(field, "must be a positive integer");
      }
      return value;
    }

    boolean optBool(String field, boolean fallback) {
      JsonNode node = root.get(field);
      if (node == null) {
        return fallback;
      }
      if (!node.isBoolean()) {
        throw error(field, "must be true or false");
      }
      return node.asBoolean();
    }

    String oneOf(String field, Set<String> allowed, String fallback) {
      String value = optText(field, fallback);
      if (!allowed.contains(value)) {
        throw error(field, "is '" + value + "', must be one of " + allowed);
      }
      return value;
    }

    float[] triple(String field) {
      JsonNode node = root.get(field);
      if (node == null || !node.isArray() || node.size() != 3) {
        throw error(field, "must be an array of 3 numbers (one per RGB channel)");
      }
      float[] values = new float[3];
      for (int i = 0; i < 3; i++) {
        if (!node.get(i).isNumber()) {
          throw error(field, "must be an array of 3 numbers (one per RGB channel)");
        }
        values[i] = (float) node.get(i).asDouble();
      }
      return values;
    }

    float[] positiveTriple(String field) {
      float[] values = triple(field);
      for (float v : values) {
        if (!(v > 0)) {
          throw error(field, "must hold positive numbers");
        }
      }
      return values;
    }

    String file(Path dir, String field, String fallback) {
      String name = optText(field, fallback);
      Path path = dir.resolve(name).normalize();
      if (!path.startsWith(dir.normalize())) {
        throw error(field, "must name a file inside " + dir);
      }
      if (!Files.isRegularFile(path)) {
        throw new ModelFormatException(
            path + ": missing (named by field " + field + " of " + file + ")");
      }
      return name;
    }
  }
}
