package io.memescope.serving;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.memescope.core.embed.ClipEncoder;
import io.memescope.core.embed.ImageDecodeException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Turns a search's terms into one query vector: the weighted sum of each term's unit embedding, so
 * that a negative weight pushes results away from that term. Text embeddings are cached (the same
 * words come back often, and the text tower is the costly part of a text query), and so are those
 * of uploaded images, by their SHA-256: a query image comes with every page of its query (the
 * cursor carries no vector), and each page ran the image tower again.
 */
final class QueryVectors {
  private final ClipEncoder encoder;
  private final Index index;
  private final int dimension;
  private final Cache<String, float[]> texts;
  private final Cache<String, float[]> images =
      Caffeine.newBuilder()
          .maximumSize(IMAGE_CACHE)
          .expireAfterAccess(java.time.Duration.ofMinutes(30))
          .build();
  private final java.util.function.Consumer<String> embedded;
  private final ModelGate gate;

  /** Uploaded query images whose embeddings are kept (a few kB each). */
  static final int IMAGE_CACHE = 1_000;

  /**
   * @param embedded told "text" or "image" for each term the model embeds (not a cached one)
   * @param gate the turns of the model that requests wait for
   */
  QueryVectors(
      ClipEncoder encoder,
      Index index,
      long textCacheSize,
      java.util.function.Consumer<String> embedded,
      ModelGate gate) {
    this.encoder = encoder;
    this.gate = gate;
    this.index = index;
    this.dimension = encoder.metadata().embeddingDim();
    this.texts = Caffeine.newBuilder().maximumSize(textCacheSize).build();
    this.embedded = embedded;
  }

  int dimension() {
    return dimension;
  }

  float[] combine(List<SearchRequest.Term> terms) {
    // While it waits for the model, for a text or an image, the request holds all of its images
    // (and its body), cached ones too. Until 2026-12-08 a wait for a text counted none of them:
    // searches with one cached 8 MiB image and a new text each could wait by the dozen.
    long uploaded = 0;
    for (SearchRequest.Term t : terms) {
      uploaded += t.image() == null ? 0 : t.image().length;
    }
    Map<String, float[]> textVectors = textVectors(terms, HELD_PER_BYTE * uploaded);
    float[] sum = new float[dimension];
    for (int i = 0; i < terms.size(); i++) {
      SearchRequest.Term t = terms.get(i);
      String field = "terms[" + i + "]";
      float[] v;
      if (t.text() != null) {
        v = textVectors.get(t.text());
      } else if (t.image() != null) {
        v = image(t.image(), field + ".image", HELD_PER_BYTE * uploaded);
      } else if (t.imageId() != null) {
        v =
            index
                .vector(t.imageId())
                .orElseThrow(
                    () -> ApiException.badRequest(field + ".imageId", "no image has this id"));
      } else {
        v = t.embedding();
      }
      float[] unit = unit(v);
      for (int d = 0; d < dimension; d++) {
        sum[d] += t.weight() * unit[d];
      }
    }
    double norm = norm(sum);
    if (!(norm >= 1e-6)) { // NaN too
      throw ApiException.badRequest("terms", "the weighted terms cancel out; change a weight");
    }
    return unit(sum);
  }

  /** A random unit vector, the same for the same seed: the query of a random sample. */
  float[] random(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] v = new float[dimension];
    for (int d = 0; d < dimension; d++) {
      // Box-Muller: a Gaussian per dimension makes the direction uniform on the sphere.
      double u1 = 1 - random.nextDouble();
      double u2 = random.nextDouble();
      v[d] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    }
    return unit(v);
  }

  private Map<String, float[]> textVectors(List<SearchRequest.Term> terms, long holding) {
    Map<String, float[]> out = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (SearchRequest.Term t : terms) {
      if (t.text() != null && !out.containsKey(t.text())) {
        float[] cached = texts.getIfPresent(t.text());
        out.put(t.text(), cached);
        if (cached == null) {
          missing.add(t.text());
        }
      }
    }
    if (!missing.isEmpty()) {
      float[][] vectors = gate.run(() -> encoder.embedTexts(missing), holding);
      missing.forEach(t -> embedded.accept("text"));
      for (int i = 0; i < missing.size(); i++) {
        texts.put(missing.get(i), vectors[i]);
        out.put(missing.get(i), vectors[i]);
      }
    }
    return out;
  }

  /**
   * What a search holds while it waits for the model, per byte of an uploaded image: the request
   * body (base64, 4/3), the parsed JSON's string (4/3 again) and the decoded bytes, rounded up.
   */
  static final int HELD_PER_BYTE = 4;

  /** How many of {@code terms}' uploaded images have no cached vector (distinct contents). */
  int imagesToEmbed(List<SearchRequest.Term> terms) {
    java.util.Set<String> uncached = new java.util.HashSet<>();
    for (SearchRequest.Term t : terms) {
      if (t.image() != null) {
        String key = key(t.image());
        if (images.getIfPresent(key) == null) {
          uncached.add(key);
        }
      }
    }
    return uncached.size();
  }

  /**
   * @param holding what the request holds while it waits for the model ({@link ModelGate#run(
   *     java.util.function.Supplier, long)})
   */
  private float[] image(byte[] bytes, String field, long holding) {
    String key = key(bytes);
    float[] cached = images.getIfPresent(key);
    if (cached != null) {
      return cached;
    }
    float[] v =
        gate.run(
            () -> {
              try {
                return encoder.embedImageBytes(List.of(bytes))[0];
              } catch (ImageDecodeException e) {
                throw ApiException.badRequest(field, "cannot be used: " + e.getMessage());
              }
            },
            holding);
    embedded.accept("image");
    images.put(key, v);
    return v;
  }

  /**
   * The SHA-256 of an uploaded image, hashed once per request: the rate limiter asks which images
   * are cached ({@link #imagesToEmbed}) before {@link #combine} looks their vectors up. Keyed by
   * the array itself (arrays hash by identity), held weakly, so it lives as long as the request.
   */
  private final Map<byte[], String> keys =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  private String key(byte[] bytes) {
    String key = keys.get(bytes);
    if (key == null) {
      // Hashed outside the map's lock: 8 MiB takes milliseconds, and every upload of every
      // request would wait for it.
      key = sha256(bytes);
      keys.put(bytes, key);
    }
    return key;
  }

  private static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of()
          .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static float[] unit(float[] v) {
    double norm = norm(v);
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) (v[i] / norm);
    }
    return out;
  }

  private static double norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x * (double) x;
    }
    return Math.sqrt(s);
  }
}
