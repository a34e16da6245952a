package io.memescope.core.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/** The committed tiny model and the golden vectors its export script wrote. */
final class GoldenFixture {
  static final Path MODEL = locate();
  static final Path GOLDEN = MODEL.resolve("golden");

  private GoldenFixture() {}

  static JsonNode golden() throws IOException {
    return new ObjectMapper().readTree(GOLDEN.resolve("golden.json").toFile());
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

  private static Path locate() {
    String root = System.getProperty("memescope.root");
    Path base = root != null ? Path.of(root) : Path.of("..");
    return base.resolve("models/tiny").toAbsolutePath().normalize();
  }
}
