package io.memescope.core.quality;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One registered quality model version, loaded, turning image embeddings into what the index
 * stores: per dimension the percentile of the raw score in the version's score distribution, and
 * their mean as the image's overall quality. Percentiles, unlike raw scores, mean the same across
 * versions, so that images scored by different versions sort together sensibly.
 */
public final class QualityScorer implements AutoCloseable {

  /** An image's quality under {@link #version()}: overall and per dimension, all in [0, 1]. */
  public record Score(float overall, Map<String, Float> dimensions) {}

  private final String version;
  private final List<String> dimensions;
  private final QualityModel model;
  private final ScoreQuantiles quantiles;

  private QualityScorer(
      String version, List<String> dimensions, QualityModel model, ScoreQuantiles quantiles) {
    this.version = version;
    this.dimensions = List.copyOf(dimensions);
    this.model = model;
    this.quantiles = quantiles;
  }

  /** Loads a full registry entry (one read with its parameters). */
  public static QualityScorer load(QualityRegistry.Entry entry) {
    if (entry.params() == null) {
      throw new IllegalArgumentException("registry entry " + entry.version() + " has no params");
    }
    QualityModel model;
    try {
      model = QualityModel.load(entry.spec(), entry.params());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(
          "quality model "
              + entry.version()
              + " cannot be loaded: "
              + (e.getMessage() == null ? e.toString() : e.getMessage()),
          e);
    }
    return new QualityScorer(entry.version(), entry.spec().dimensions(), model, entry.quantiles());
  }

  public String version() {
    return version;
  }

  /** The length of the embeddings the model scores. */
  public int embeddingDim() {
    return model.spec().embeddingDim();
  }

  /** Raw and percentile scores of a batch of embeddings, in order. */
  public Score[] score(float[][] embeddings) {
    float[][] raw = model.scores(embeddings);
    Score[] out = new Score[raw.length];
    for (int i = 0; i < raw.length; i++) {
      float[] p = quantiles.percentiles(dimensions, raw[i]);
      Map<String, Float> byDimension = new LinkedHashMap<>();
      for (int d = 0; d < p.length; d++) {
        byDimension.put(dimensions.get(d), p[d]);
      }
      out[i] = new Score(ScoreQuantiles.overall(p), byDimension);
    }
    return out;
  }

  @Override
  public void close() {
    model.close();
  }
}
