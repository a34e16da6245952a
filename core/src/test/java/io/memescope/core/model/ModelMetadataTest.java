package io.memescope.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelMetadataTest {
  @TempDir Path dir;

  @Test
  void reads_name_and_dimension() throws IOException {
    Files.writeString(dir.resolve("metadata.json"), "{\"name\":\"tiny\",\"embedding_dim\":64}");
    assertThat(ModelMetadata.read(dir)).isEqualTo(new ModelMetadata("tiny", 64));
  }

  @Test
  void missing_file_names_the_file() {
    assertThatThrownBy(() -> ModelMetadata.read(dir))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining(dir.resolve("metadata.json").toString())
        .hasMessageContaining("missing");
  }

  @Test
  void bad_dimension_names_the_field() throws IOException {
    Files.writeString(dir.resolve("metadata.json"), "{\"name\":\"tiny\",\"embedding_dim\":0}");
    assertThatThrownBy(() -> ModelMetadata.read(dir))
        .hasMessageContaining("metadata.json")
        .hasMessageContaining("embedding_dim");
  }

  @Test
  void broken_json_names_the_file() throws IOException {
    Files.writeString(dir.resolve("metadata.json"), "{\"name\":");
    assertThatThrownBy(() -> ModelMetadata.read(dir)).hasMessageContaining("not valid JSON");
  }
}
