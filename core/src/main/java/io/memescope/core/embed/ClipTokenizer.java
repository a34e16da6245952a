package io.memescope.core.embed;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.memescope.core.model.ModelMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Token ids as open_clip's tokenizer makes them. In {@code clip} mode (CLIP BPE, see {@link
 * ModelMetadata#tokenizerMode()}): text cleaned as {@link TextCleaner} does, byte-pair encoded with
 * the model's Hugging Face {@code tokenizer.json}, start and end tokens added, truncated to the
 * context length with the end token kept last, padded with the pad id.
 *
 * <p>Special tokens follow the reference, not Hugging Face: the literal text {@code <end_of_text>}
 * (and {@code <start_of_text>}) becomes the special token, as in open_clip, while {@code
 * <|endoftext|>} typed by a user is ordinary text. The tokenizer file is therefore loaded without
 * its added-token matching. Thread-safe.
 */
public final class ClipTokenizer implements AutoCloseable {
  private static final Pattern SPECIAL = Pattern.compile("<start_of_text>|<end_of_text>");

  private final HuggingFaceTokenizer tokenizer;
  private final boolean clipMode;
  private final String textClean;
  private final int contextLength;
  private final int sot;
  private final int eot;
  private final int pad;

  public ClipTokenizer(Path modelDir, ModelMetadata meta) throws IOException {
    this.clipMode = "clip".equals(meta.tokenizerMode());
    this.textClean = meta.textClean();
    Path file = modelDir.resolve(meta.tokenizer());
    // hf mode is open_clip's HFTokenizer: the file's own special tokens, truncation and padding.
    this.tokenizer =
        clipMode
            ? HuggingFaceTokenizer.newInstance(
                new java.io.ByteArrayInputStream(plainTokenizer(file)),
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))
            : HuggingFaceTokenizer.newInstance(
                file,
                Map.of(
                    "addSpecialTokens", "true",
                    "truncation", "true",
                    "padding", "false",
                    "maxLength", Integer.toString(meta.contextLength())));
    this.contextLength = meta.contextLength();
    this.sot = meta.sotTokenId();
    this.eot = meta.eotTokenId();
    this.pad = meta.padTokenId();
  }

  public int contextLength() {
    return contextLength;
  }

  /** Exactly {@link #contextLength()} ids. */
  public long[] encode(String text) {
    if (!clipMode) {
      return pad(tokenizer.encode(TextCleaner.clean(text, textClean)).getIds());
    }
    List<Long> ids = new ArrayList<>();
    ids.add((long) sot);
    String cleaned = TextCleaner.clean(text, textClean);
    Matcher special = SPECIAL.matcher(cleaned);
    int from = 0;
    while (special.find()) {
      addPiece(cleaned.substring(from, special.start()), ids);
      ids.add((long) (special.group().equals("<end_of_text>") ? eot : sot));
      from = special.end();
    }
    addPiece(cleaned.substring(from), ids);
    ids.add((long) eot);
    long[] out = pad(ids.stream().mapToLong(Long::longValue).toArray());
    if (ids.size() > contextLength) {
      out[contextLength - 1] = eot;
    }
    return out;
  }

  private long[] pad(long[] ids) {
    long[] out = new long[contextLength];
    Arrays.fill(out, pad);
    System.arraycopy(ids, 0, out, 0, Math.min(ids.length, contextLength));
    return out;
  }

  private void addPiece(String piece, List<Long> ids) {
    if (!piece.isBlank()) {
      for (long id : tokenizer.encode(piece.strip()).getIds()) {
        ids.add(id);
      }
    }
  }

  /**
   * The tokenizer file without added tokens and post-processing (we add the specials ourselves),
   * handed to the tokenizer in memory: until 2026-12-06 it went through a temporary file removed
   * only at a clean JVM exit, so every killed process (a TaskManager, a test fork) left 1.6 MB in
   * the temporary folder.
   */
  private static byte[] plainTokenizer(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(file.toFile());
    root.putArray("added_tokens");
    root.putNull("post_processor");
    root.putNull("truncation");
    root.putNull("padding");
    return json.writeValueAsBytes(root);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
