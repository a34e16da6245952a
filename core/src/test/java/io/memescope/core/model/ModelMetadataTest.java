package io.memescope.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelMetadataTest {
  static final String VALID =
      """
      {"name": "tiny", "embedding_dim": 64, "image_size": 224, "mean": [0.48, 0.45, 0.40],
       "std": [0.26, 0.26, 0.27], "context_length": 77, "tiny": true}
      """;

  @TempDir Path dir;

  @Test
  void reads_fields_and_defaults() throws IOException {
    ModelMetadata meta = ModelMetadata.read(write(VALID));

    assertThat(meta.name()).isEqualTo("tiny");
    assertThat(meta.embeddingDim()).isEqualTo(64);
    assertThat(meta.mean()).containsExactly(0.48f, 0.45f, 0.40f);
    assertThat(meta.resizeMode()).isEqualTo("shortest");
    assertThat(meta.eotTokenId()).isEqualTo(49407);
    assertThat(meta.tiny()).isTrue();
  }

  @Test
  void missing_file_names_the_file() {
    assertThatThrownBy(() -> ModelMetadata.read(dir))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining(dir.resolve("metadata.json").toString())
        .hasMessageContaining("missing");
  }

  @Test
  void bad_fields_are_named() throws IOException {
    assertThatThrownBy(
            () ->
                ModelMetadata.read(
                    write(VALID.replace("\"embedding_dim\": 64", "\"embedding_dim\": 0"))))
        .hasMessageContaining("metadata.json: field embedding_dim must be a positive integer");
    assertThatThrownBy(
            () -> ModelMetadata.read(write(VALID.replace("[0.26, 0.26, 0.27]", "[0.26, 0]"))))
        .hasMessageContaining("field std must be an array of 3 numbers");
    assertThatThrownBy(
            () ->
                ModelMetadata.read(
                    write(VALID.replace("\"tiny\": true", "\"resize_mode\": \"stretch\""))))
        .hasMessageContaining("field resize_mode is 'stretch'");
    // No crop, but a resize that keeps the aspect: the preprocessor would crop after all.
    assertThatThrownBy(
            () ->
                ModelMetadata.read(
                    write(VALID.replace("\"tiny\": true", "\"crop_mode\": \"none\""))))
        .hasMessageContaining("field crop_mode is none, which needs resize_mode squash");
    assertThat(
            ModelMetadata.read(
                    write(
                        VALID.replace(
                            "\"tiny\": true",
                            "\"crop_mode\": \"none\", \"resize_mode\": \"squash\"")))
                .cropMode())
        .isEqualTo("none");
  }

  @Test
  void a_missing_encoder_file_is_named_with_the_field_that_names_it() throws IOException {
    write(VALID);
    Files.delete(dir.resolve("text_encoder.pt"));

    assertThatThrownBy(() -> ModelMetadata.read(dir))
        .hasMessageContaining("text_encoder.pt: missing (named by field text_encoder");
  }

  @Test
  void a_file_outside_the_directory_is_refused() throws IOException {
    assertThatThrownBy(
            () ->
                ModelMetadata.read(
                    write(VALID.replace("\"tiny\": true", "\"tokenizer\": \"../../etc/passwd\""))))
        .hasMessageContaining("field tokenizer must name a file inside");
  }

  @Test
  void broken_json_names_the_file() throws IOException {
    assertThatThrownBy(() -> ModelMetadata.read(write("{\"name\":")))
        .hasMessageContaining("metadata.json: not valid JSON");
  }

  private Path write(String json) throws IOException {
    Files.writeString(dir.resolve("metadata.json"), json);
    for (String f : new String[] {"image_encoder.pt", "text_encoder.pt", "tokenizer.json"}) {
      Files.writeString(dir.resolve(f), "");
    }
    return dir;
  }
}
