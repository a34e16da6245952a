package io.memescope.trainer.bench;

import io.memescope.core.rating.RatingScale;
import io.memescope.trainer.Comparison;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A simulated corpus and rater, for tests and the active-learning benchmark. Embeddings: unit
 * vectors from a Gaussian mixture ({@code clusters} centres). Each dimension has a hidden "true"
 * utility, a random two-layer tanh network of the embedding, standardised over the corpus. The
 * rater is a Bradley-Terry model of that utility: z = β(u_left − u_right) + logistic noise, so P(z
 * &gt; 0) = σ(β Δu); the five-point answer thresholds z: |z| &lt; tie is a tie, |z| &gt; much is
 * "much better".
 */
public final class Simulation {
  private static final int CLUSTERS = 12;
  private static final int UTILITY_HIDDEN = 16;

  private final int dim;
  private final List<String> dimensions;
  private final float[][] embeddings;
  private final double[][] utility;
  private final double beta;
  private final double tie;
  private final double much;

  /**
   * @param beta how sharply the rater follows the utility (larger: less noise)
   */
  public Simulation(
      int images,
      int dim,
      List<String> dimensions,
      long seed,
      double beta,
      double tie,
      double much) {
    this.dim = dim;
    this.dimensions = List.copyOf(dimensions);
    this.beta = beta;
    this.tie = tie;
    this.much = much;
    Random r = new Random(seed);
    double[][] centres = new double[CLUSTERS][dim];
    for (double[] c : centres) {
      for (int d = 0; d < dim; d++) {
        c[d] = r.nextGaussian();
      }
    }
    embeddings = new float[images][dim];
    double spread = 0.8;
    for (float[] e : embeddings) {
      double[] c = centres[r.nextInt(CLUSTERS)];
      double norm = 0;
      double[] v = new double[dim];
      for (int d = 0; d < dim; d++) {
        v[d] = c[d] + spread * r.nextGaussian();
        norm += v[d] * v[d];
      }
      norm = Math.sqrt(norm);
      for (int d = 0; d < dim; d++) {
        e[d] = (float) (v[d] / norm);
      }
    }
    int k = dimensions.size();
    utility = new double[images][k];
    for (int j = 0; j < k; j++) {
      double[][] w1 = new double[UTILITY_HIDDEN][dim];
      double[] b1 = new double[UTILITY_HIDDEN];
      double[] w2 = new double[UTILITY_HIDDEN];
      for (int h = 0; h < UTILITY_HIDDEN; h++) {
        for (int d = 0; d < dim; d++) {
          w1[h][d] = r.nextGaussian() * 2.0; // |x| = 1, so each pre-activation has sd 2
        }
        b1[h] = r.nextGaussian() * 0.5;
        w2[h] = r.nextGaussian();
      }
      double sum = 0;
      double sq = 0;
      for (int i = 0; i < images; i++) {
        double u = 0;
        for (int h = 0; h < UTILITY_HIDDEN; h++) {
          double a = b1[h];
          for (int d = 0; d < dim; d++) {
            a += w1[h][d] * embeddings[i][d];
          }
          u += w2[h] * Math.tanh(a);
        }
        utility[i][j] = u;
        sum += u;
        sq += u * u;
      }
      double mean = sum / images;
      double sd = Math.sqrt(Math.max(1e-12, sq / images - mean * mean));
      for (int i = 0; i < images; i++) {
        utility[i][j] = (utility[i][j] - mean) / sd;
      }
    }
  }

  /** The benchmark's simulation: rater β = 3, ties below |z| 0.5, "much" above |z| 3. */
  public static Simulation standard(int images, int dim, List<String> dimensions, long seed) {
    return new Simulation(images, dim, dimensions, seed, 3.0, 0.5, 3.0);
  }

  public int size() {
    return embeddings.length;
  }

  public int dim() {
    return dim;
  }

  public List<String> dimensions() {
    return dimensions;
  }

  public static String id(int image) {
    return "img-" + image;
  }

  public float[] embedding(int image) {
    return embeddings[image];
  }

  public float[][] embeddings(int[] images) {
    float[][] out = new float[images.length][];
    for (int i = 0; i < images.length; i++) {
      out[i] = embeddings[images[i]];
    }
    return out;
  }

  public double utility(int image, int dimension) {
    return utility[image][dimension];
  }

  /** Every image's embedding by {@link #id}. */
  public Map<String, float[]> embeddingMap() {
    Map<String, float[]> out = new HashMap<>();
    for (int i = 0; i < embeddings.length; i++) {
      out.put(id(i), embeddings[i]);
    }
    return out;
  }

  /** The rater's answer on the five-point scale for each dimension. */
  public int[] rate(int left, int right, Random r) {
    int[] out = new int[dimensions.size()];
    for (int j = 0; j < out.length; j++) {
      double u = r.nextDouble();
      double noise = Math.log(u / (1 - u)); // standard logistic
      double z = beta * (utility[left][j] - utility[right][j]) + noise; // > 0: left better
      int v;
      if (Math.abs(z) < tie) {
        v = 0;
      } else if (Math.abs(z) < much) {
        v = z > 0 ? -1 : 1;
      } else {
        v = z > 0 ? -2 : 2;
      }
      out[j] = v;
    }
    return out;
  }

  /** A rated comparison of two images. */
  public Comparison comparison(int left, int right, Random r) {
    int[] v = rate(left, right, r);
    double[] t = new double[v.length];
    for (int j = 0; j < v.length; j++) {
      t[j] = RatingScale.leftWins(v[j]);
    }
    return new Comparison(id(left), id(right), t);
  }

  /** {@code n} random pairs of distinct images from {@code images}, rated. */
  public List<Comparison> randomComparisons(int[] images, int n, Random r) {
    List<Comparison> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int a = images[r.nextInt(images.length)];
      int b;
      do {
        b = images[r.nextInt(images.length)];
      } while (b == a);
      out.add(comparison(a, b, r));
    }
    return out;
  }

  /**
   * Pairwise accuracy of predicted scores against the true utility: the share of (pair, dimension)
   * where the higher-scored image has the higher utility.
   *
   * @param scores [i][dimension] scores of {@code images[i]}
   * @param pairs index pairs into {@code images}
   */
  public double trueAccuracy(int[] images, float[][] scores, int[][] pairs) {
    int correct = 0;
    int total = 0;
    for (int[] p : pairs) {
      for (int j = 0; j < dimensions.size(); j++) {
        double du = utility[images[p[0]]][j] - utility[images[p[1]]][j];
        double ds = scores[p[0]][j] - scores[p[1]][j];
        total++;
        if (du * ds > 0) {
          correct++;
        }
      }
    }
    return correct / (double) total;
  }
}
