package io.memescope.core.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The committed fixture models and the golden vectors their export script wrote. */
final class GoldenFixture {
  /** One fixture per model family the exporter supports: CLIP (BPE) and SigLIP (HF tokenizer). */
  static final List<String> MODELS = List.of("tiny", "tiny-siglip");

  static final Path MODEL = model("tiny");

  private GoldenFixture() {}

  static Path model(String name) {
    String root = System.getProperty("memescope.root");
    Path base = root != null ? Path.of(root) : Path.of("..");
    return base.resolve("models").resolve(name).toAbsolutePath().normalize();
  }

  static JsonNode golden(Path model) throws IOException {
    return new ObjectMapper().readTree(model.resolve("golden/golden.json").toFile());
  }

  static float[] vector(JsonNode node) {
    float[] v = new float[node.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) node.get(i).asDouble();
    }
    return v;
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }
}
