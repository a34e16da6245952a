package io.memescope.core.embed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Java embeddings of each fixture model match the reference implementation's golden vectors
 * (written by infra/models/export_openclip.py with open_clip and Pillow), item by item. No Python
 * runs here.
 */
class ClipParityTest {
  static final double MIN_COSINE = 0.9999;

  /**
   * Token ids are identical, so text vectors differ only by floating point; a tight bound matters
   * because the tiny SigLIP model's text vectors lie close together (one changed token can still
   * give 0.9996).
   */
  static final double MIN_TEXT_COSINE = 0.99999;

  /** Texts where Memescope knowingly differs from the reference, and why. */
  static final Map<String, String> KNOWN_DIFFERENCES =
      Map.of(
          "caf\u00c3\u00a9",
          "ftfy's heuristic mojibake repair is not reproduced (see docs/models.md)");

  static final List<ClipEncoder> OPEN = new ArrayList<>();

  @AfterAll
  static void close() {
    OPEN.forEach(ClipEncoder::close);
  }

  @TestFactory
  Stream<DynamicNode> every_fixture_model_matches_its_reference() throws IOException {
    List<DynamicNode> models = new ArrayList<>();
    for (String name : GoldenFixture.MODELS) {
      Path dir = GoldenFixture.model(name);
      assertThat(dir.resolve("golden/golden.json")).as("fixture %s", name).exists();
      ClipEncoder encoder = ClipEncoder.load(dir, new EncoderOptions("cpu", 4, 2, 64_000_000));
      OPEN.add(encoder);
      JsonNode golden = GoldenFixture.golden(dir);
      models.add(
          DynamicContainer.dynamicContainer(
              name,
              Stream.of(
                  DynamicContainer.dynamicContainer("token ids", tokenTests(encoder, golden)),
                  DynamicContainer.dynamicContainer("text vectors", textTests(encoder, golden)),
                  DynamicContainer.dynamicContainer(
                      "image vectors", imageTests(encoder, golden, dir)),
                  DynamicContainer.dynamicContainer(
                      "preprocessing", preprocessingTests(encoder, golden, dir)))));
    }
    return models.stream();
  }

  private static Stream<DynamicTest> tokenTests(ClipEncoder encoder, JsonNode golden) {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode item : golden.path("texts")) {
      String text = item.path("text").asText();
      tests.add(
          DynamicTest.dynamicTest(
              abbreviate(text),
              () -> {
                skipKnownDifference(text);
                long[] expected = new long[item.path("token_ids").size()];
                for (int i = 0; i < expected.length; i++) {
                  expected[i] = item.path("token_ids").get(i).asLong();
                }
                assertThat(encoder.tokenizer().encode(text)).containsExactly(expected);
              }));
    }
    return tests.stream();
  }

  private static Stream<DynamicTest> textTests(ClipEncoder encoder, JsonNode golden) {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode item : golden.path("texts")) {
      String text = item.path("text").asText();
      tests.add(
          DynamicTest.dynamicTest(
              abbreviate(text),
              () -> {
                skipKnownDifference(text);
                float[] actual = encoder.embedTexts(List.of(text))[0];
                assertThat(GoldenFixture.cosine(actual, GoldenFixture.vector(item.path("vector"))))
                    .isGreaterThanOrEqualTo(MIN_TEXT_COSINE);
              }));
    }
    return tests.stream();
  }

  private static Stream<DynamicTest> imageTests(ClipEncoder encoder, JsonNode golden, Path dir) {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode item : golden.path("images")) {
      String file = item.path("file").asText();
      tests.add(
          DynamicTest.dynamicTest(
              file,
              () -> {
                byte[] bytes = Files.readAllBytes(dir.resolve("golden").resolve(file));
                float[] actual = encoder.embedImageBytes(List.of(bytes))[0];
                assertThat(GoldenFixture.cosine(actual, GoldenFixture.vector(item.path("vector"))))
                    .as("cosine with the golden vector of %s", file)
                    .isGreaterThanOrEqualTo(MIN_COSINE);
              }));
    }
    return tests.stream();
  }

  /**
   * The preprocessed tensor is bit-identical to the reference for every format (WebP goes through
   * libwebp, as in Pillow), JPEG included: OpenCV's libjpeg-turbo and the JDK's libjpeg both decode
   * the fixtures' JPEGs to Pillow's samples (checked with {@code -Dmemescope.native-codecs=false}).
   */
  private static Stream<DynamicTest> preprocessingTests(
      ClipEncoder encoder, JsonNode golden, Path dir) {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode item : golden.path("images")) {
      String file = item.path("file").asText();
      if (!item.has("preprocessed_sha256")) {
        continue;
      }
      tests.add(
          DynamicTest.dynamicTest(
              file,
              () -> {
                byte[] bytes = Files.readAllBytes(dir.resolve("golden").resolve(file));
                float[] pixels = encoder.preprocessor().apply(new ImageDecoder().decode(bytes));
                Path reference = dir.resolve("golden").resolve(file + ".pre.f32");
                if (Files.exists(reference)) {
                  assertThat(maxAbsDiff(pixels, readFloats(reference)))
                      .as("largest difference from %s", reference.getFileName())
                      .isZero();
                }
                assertThat(sha256(pixels)).isEqualTo(item.path("preprocessed_sha256").asText());
              }));
    }
    return tests.stream();
  }

  private static void skipKnownDifference(String text) {
    Assumptions.assumeFalse(KNOWN_DIFFERENCES.containsKey(text), () -> KNOWN_DIFFERENCES.get(text));
  }

  static String sha256(float[] values) throws Exception {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(buffer.array()));
  }

  static float[] readFloats(Path file) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[buffer.remaining() / 4];
    buffer.asFloatBuffer().get(values);
    return values;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  private static String abbreviate(String text) {
    String oneLine = text.replace("\n", "\\n").replace("\t", "\\t");
    return "'" + (oneLine.length() > 40 ? oneLine.substring(0, 40) + "…" : oneLine) + "'";
  }
}
