package io.memescope.core.quality;

import java.util.List;

/**
 * The shape of a quality model: an ensemble of {@code members} small MLPs, each mapping an image
 * embedding of {@code embeddingDim} floats through ReLU layers of the {@code hidden} sizes (with
 * dropout {@code dropout} while training) to one raw score per dimension. Stored as JSON next to
 * the parameters: the parameters alone cannot be read without it.
 *
 * @param dimensions what the scores mean, in output order (the rater's dimensions)
 * @param embeddingDim length of the image embeddings the model reads (512 for CLIP ViT-B/32)
 * @param hidden sizes of the hidden layers, input side first; empty: a linear model
 * @param members ensemble size; members differ in initialisation and training data order
 * @param dropout dropout rate after each hidden layer while training, in [0, 1)
 */
public record QualitySpec(
    List<String> dimensions, int embeddingDim, List<Integer> hidden, int members, double dropout) {

  public QualitySpec {
    dimensions = List.copyOf(dimensions);
    hidden = List.copyOf(hidden);
    if (dimensions.isEmpty()) {
      throw new IllegalArgumentException("a quality model needs at least one dimension");
    }
    if (embeddingDim < 1) {
      throw new IllegalArgumentException("embeddingDim must be positive: " + embeddingDim);
    }
    for (int h : hidden) {
      if (h < 1) {
        throw new IllegalArgumentException("hidden sizes must be positive: " + hidden);
      }
    }
    if (members < 1) {
      throw new IllegalArgumentException("members must be positive: " + members);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("dropout must be in [0, 1): " + dropout);
    }
  }

  /**
   * The number of parameters of the whole ensemble: each member's linear layers, embedding → hidden
   * sizes → outputs, weights and biases.
   */
  public long parameterCount() {
    long perMember = 0;
    int in = embeddingDim;
    for (int h : hidden) {
      perMember += (long) in * h + h;
      in = h;
    }
    perMember += (long) in * outputs() + outputs();
    return perMember * members;
  }

  /** The number of outputs (dimensions) per image. */
  public int outputs() {
    return dimensions.size();
  }

  /** The index of {@code dimension} among the outputs; -1 if the model has no such dimension. */
  public int indexOf(String dimension) {
    return dimensions.indexOf(dimension);
  }
}
