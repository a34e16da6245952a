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
 * usual case once pairs share images), what validation still wants is taken from it by image: each
 * of its images goes to validation with probability q = sqrt(wanted / pairs of the component),
 * capped at 1/2; a pair is kept only if both its images fell on the same side, and pairs with one
 * image on each side are dropped and counted in {@link #dropped()}.
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

  /** Splits {@code pairs} by image so that about {@code fraction} of them validate. */
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
      double q = Math.min(0.5, Math.sqrt(need / largest.size()));
      Random r = new Random(seed ^ 0x5deece66dL);
      Map<String, Boolean> side = new HashMap<>();
      for (Comparison c : largest) {
        boolean l = side.computeIfAbsent(c.leftId(), k -> r.nextDouble() < q);
        boolean rr = side.computeIfAbsent(c.rightId(), k -> r.nextDouble() < q);
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
