package io.memescope.trainer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A training/validation split by image: no image is in a pair on both sides, so validation measures
 * how the model does on images it never saw, not on pairs of familiar images.
 *
 * <p>How: images joined by pairs form connected components. Components go whole to validation, in
 * an order fixed by the seed, while they fit into what validation still wants ({@code fraction} of
 * the pairs); nothing is lost. When ratings have knitted most images into one large component (the
 * usual case once pairs share images), what validation still wants is taken from it by image: a
 * share q of its images (a seeded shuffle) validates, with q chosen so that validation's share f of
 * the component's kept pairs is what is wanted, q² / (q² + (1 − q)²) = f (f at most 1/2); a pair is
 * kept only if both its images fell on the same side, and pairs with one image on each side are
 * dropped and counted in {@link #dropped()}. For f = 0.2 a third of the images validate and about
 * 44 % of the component's pairs are dropped: the price of measuring on unseen images.
 *
 * @param train pairs whose images are all training images
 * @param validation pairs whose images are all validation images
 * @param dropped pairs with one image on each side, used for neither
 */
public record Split(List<Comparison> train, List<Comparison> validation, int dropped) {

  /** All pairs for training, none for validation. */
  public static Split none(List<Comparison> pairs) {
    return new Split(List.copyOf(pairs), List.of(), 0);
  }

  /**
   * Splits {@code pairs} by image so that about {@code fraction} of the pairs kept validate (pairs
   * with an image on each side are dropped and counted).
   */
  public static Split byImage(List<Comparison> pairs, double fraction, long seed) {
    if (!(fraction >= 0 && fraction < 1)) {
      throw new IllegalArgumentException("fraction must be in [0, 1): " + fraction);
    }
    if (fraction == 0 || pairs.isEmpty()) {
      return none(pairs);
    }
    // Union-find over image ids.
    Map<String, Integer> index = new HashMap<>();
    for (Comparison c : pairs) {
      index.putIfAbsent(c.leftId(), index.size());
      index.putIfAbsent(c.rightId(), index.size());
    }
    int[] parent = new int[index.size()];
    for (int i = 0; i < parent.length; i++) {
      parent[i] = i;
    }
    for (Comparison c : pairs) {
      int a = find(parent, index.get(c.leftId()));
      int b = find(parent, index.get(c.rightId()));
      if (a != b) {
        parent[a] = b;
      }
    }
    Map<Integer, List<Comparison>> components = new LinkedHashMap<>();
    for (Comparison c : pairs) {
      components
          .computeIfAbsent(find(parent, index.get(c.leftId())), k -> new ArrayList<>())
          .add(c);
    }
    List<List<Comparison>> order = new ArrayList<>(components.values());
    java.util.Collections.shuffle(order, new Random(seed));
    double wanted = fraction * pairs.size();
    List<Comparison> train = new ArrayList<>();
    List<Comparison> validation = new ArrayList<>();
    List<Comparison> largest = List.of();
    for (List<Comparison> component : order) {
      if (component.size() > largest.size()) {
        largest = component;
      }
    }
    for (List<Comparison> component : order) {
      if (component == largest) {
        continue;
      }
      if (validation.size() + component.size() <= wanted) {
        validation.addAll(component);
      } else {
        train.addAll(component);
      }
    }
    int dropped = 0;
    double need = wanted - validation.size();
    if (need >= 1 && !largest.isEmpty()) {
      // Each image validates with probability q; a pair validates when both images do (q²) and
      // trains when neither does ((1 − q)²). Of the pairs kept, the share that validates is
      // q² / (q² + (1 − q)²): solved for the share wanted.
      double f = Math.min(0.5, need / largest.size());
      double q = Math.sqrt(f) / (Math.sqrt(f) + Math.sqrt(1 - f));
      // Exactly round(q · n) of the component's images validate, chosen by a seeded shuffle: a
      // coin per image would let the validation set swing by a third between seeds.
      List<String> images = new ArrayList<>();
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (Comparison c : largest) {
        if (seen.add(c.leftId())) {
          images.add(c.leftId());
        }
        if (seen.add(c.rightId())) {
          images.add(c.rightId());
        }
      }
      java.util.Collections.shuffle(images, new Random(seed ^ 0x5deece66dL));
      int validating = (int) Math.round(q * images.size());
      Map<String, Boolean> side = new HashMap<>();
      for (int i = 0; i < images.size(); i++) {
        side.put(images.get(i), i < validating);
      }
      for (Comparison c : largest) {
        boolean l = side.get(c.leftId());
        boolean rr = side.get(c.rightId());
        if (l && rr) {
          validation.add(c);
        } else if (!l && !rr) {
          train.add(c);
        } else {
          dropped++;
        }
      }
    } else {
      train.addAll(largest);
    }
    return new Split(List.copyOf(train), List.copyOf(validation), dropped);
  }

  private static int find(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }
}
