package io.memescope.core.quality;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The quality model: an ensemble of small MLPs over image embeddings (see {@link QualitySpec}), run
 * by DJL's PyTorch engine on the CPU. Each member gives one raw score per dimension; higher is
 * better. Two images compare as a Bradley-Terry model: P(a beats b) = σ(s_a − s_b).
 *
 * <p>Scoring is safe from several threads at once: every call works in NDArrays of its own and only
 * reads the parameters. Training ({@code io.memescope.trainer.QualityTrainer}) changes them and
 * must not overlap with scoring.
 *
 * <pre>{@code
 * try (QualityModel model = QualityModel.load(spec, bytes)) {
 *   float[][] scores = model.scores(embeddings); // [image][dimension]
 * }
 * }</pre>
 */
public final class QualityModel implements AutoCloseable {
  private static final int MAGIC = 0x4d53514d; // "MSQM"
  private static final int FORMAT = 1;

  /** Images per forward pass; bounds the NDArray memory of one call. */
  private static final int CHUNK = 4096;

  private final QualitySpec spec;
  private final List<Model> members;

  private QualityModel(QualitySpec spec, List<Model> members) {
    this.spec = spec;
    this.members = members;
  }

  /**
   * A freshly initialised ensemble (He-normal weights, zero biases); member {@code i} is
   * initialised from seed {@code seed + i}, so members differ and a seed reproduces them.
   */
  public static QualityModel create(QualitySpec spec, long seed) {
    Engine engine = engine();
    List<Model> models = new ArrayList<>();
    try {
      for (int i = 0; i < spec.members(); i++) {
        Model model = newMember(spec, i);
        models.add(model);
        synchronized (QualityModel.class) { // the engine's random seed is global
          engine.setRandomSeed((int) ((seed + i) & 0x7fffffff));
          model
              .getBlock()
              .initialize(
                  model.getNDManager(), DataType.FLOAT32, new Shape(1, spec.embeddingDim()));
        }
      }
    } catch (RuntimeException e) {
      models.forEach(Model::close);
      throw e;
    }
    return new QualityModel(spec, models);
  }

  /** Reads parameters written by {@link #save()} for a model of {@code spec}. */
  public static QualityModel load(QualitySpec spec, byte[] parameters) throws IOException {
    engine();
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(parameters));
    if (in.readInt() != MAGIC) {
      throw new IOException("not quality model parameters (bad magic number)");
    }
    int format = in.readInt();
    if (format != FORMAT) {
      throw new IOException("unsupported quality model parameter format " + format);
    }
    int count = in.readInt();
    if (count != spec.members()) {
      throw new IOException("parameters hold " + count + " members, spec says " + spec.members());
    }
    List<Model> models = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        Model model = newMember(spec, i);
        models.add(model);
        byte[] blob = new byte[in.readInt()];
        in.readFully(blob);
        model
            .getBlock()
            .loadParameters(
                model.getNDManager(), new DataInputStream(new ByteArrayInputStream(blob)));
        checkShape(spec, model.getBlock());
      }
    } catch (MalformedModelException | RuntimeException e) {
      models.forEach(Model::close);
      throw new IOException("quality model parameters do not fit " + spec + ": " + e, e);
    } catch (IOException e) {
      models.forEach(Model::close);
      throw e;
    }
    return new QualityModel(spec, models);
  }

  /** All members' parameters as one blob, for {@link #load}. */
  public byte[] save() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(MAGIC);
      out.writeInt(FORMAT);
      out.writeInt(members.size());
      for (Model m : members) {
        byte[] blob = memberParameters(m.getBlock());
        out.writeInt(blob.length);
        out.write(blob);
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public QualitySpec spec() {
    return spec;
  }

  /** The number of ensemble members. */
  public int size() {
    return members.size();
  }

  /**
   * Member {@code i} as a DJL model, for the trainer: its block (an MLP) maps [n, embeddingDim] to
   * [n, dimensions], its manager owns the parameters.
   */
  public Model member(int i) {
    return members.get(i);
  }

  /** Raw scores of every member: [member][image][dimension]. */
  public float[][][] memberScores(float[][] embeddings) {
    float[][][] out = new float[members.size()][][];
    for (int m = 0; m < members.size(); m++) {
      out[m] = memberScores(m, embeddings);
    }
    return out;
  }

  /** Raw scores of member {@code m}: [image][dimension], in inference mode (no dropout). */
  public float[][] memberScores(int m, float[][] embeddings) {
    int dim = spec.embeddingDim();
    int k = spec.outputs();
    float[][] out = new float[embeddings.length][];
    Model model = members.get(m);
    for (int start = 0; start < embeddings.length; start += CHUNK) {
      int n = Math.min(CHUNK, embeddings.length - start);
      float[] flat = new float[n * dim];
      for (int i = 0; i < n; i++) {
        float[] e = embeddings[start + i];
        if (e.length != dim) {
          throw new IllegalArgumentException(
              "embedding " + (start + i) + " has " + e.length + " floats, the model reads " + dim);
        }
        System.arraycopy(e, 0, flat, i * dim, dim);
      }
      float[] result;
      try (NDManager manager = model.getNDManager().newSubManager()) {
        NDArray x = manager.create(flat, new Shape(n, dim));
        NDList y =
            model.getBlock().forward(new ParameterStore(manager, false), new NDList(x), false);
        result = y.singletonOrThrow().toFloatArray();
      }
      for (int i = 0; i < n; i++) {
        float[] row = new float[k];
        System.arraycopy(result, i * k, row, 0, k);
        out[start + i] = row;
      }
    }
    return out;
  }

  /** The ensemble's score: the mean of the members' raw scores, [image][dimension]. */
  public float[][] scores(float[][] embeddings) {
    return mean(memberScores(embeddings));
  }

  /** The mean over members of [member][image][dimension] scores. */
  public static float[][] mean(float[][][] memberScores) {
    int n = memberScores[0].length;
    float[][] out = new float[n][];
    for (int i = 0; i < n; i++) {
      int k = memberScores[0][i].length;
      float[] row = new float[k];
      for (float[][] member : memberScores) {
        for (int d = 0; d < k; d++) {
          row[d] += member[i][d];
        }
      }
      for (int d = 0; d < k; d++) {
        row[d] /= memberScores.length;
      }
      out[i] = row;
    }
    return out;
  }

  /** P(left beats right) = σ(s_left − s_right), per dimension, from two images' raw scores. */
  public static double[] fromScores(float[] left, float[] right) {
    double[] p = new double[left.length];
    for (int d = 0; d < p.length; d++) {
      p[d] = sigmoid(left[d] - right[d]);
    }
    return p;
  }

  /**
   * Every member's P(left beats right) for one pair: [member][dimension], from [member][image][dim]
   * scores and the pair's image indices.
   */
  public static double[][] memberWinProbabilities(float[][][] memberScores, int left, int right) {
    double[][] p = new double[memberScores.length][];
    for (int m = 0; m < memberScores.length; m++) {
      p[m] = fromScores(memberScores[m][left], memberScores[m][right]);
    }
    return p;
  }

  /**
   * The ensemble's P(left beats right) per dimension: the mean of the members' probabilities (a
   * mixture of the members' Bradley-Terry models).
   */
  public double[] winProbabilities(float[] leftEmbedding, float[] rightEmbedding) {
    float[][][] s = memberScores(new float[][] {leftEmbedding, rightEmbedding});
    double[][] p = memberWinProbabilities(s, 0, 1);
    double[] mean = new double[spec.outputs()];
    for (double[] member : p) {
      for (int d = 0; d < mean.length; d++) {
        mean[d] += member[d] / p.length;
      }
    }
    return mean;
  }

  public static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }

  @Override
  public void close() {
    members.forEach(Model::close);
  }

  /** One member's parameters in DJL's block format. */
  public static byte[] memberParameters(Block block) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      block.saveParameters(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Overwrites member {@code i}'s parameters with ones from {@link #memberParameters}. */
  public void restoreMember(int i, byte[] parameters) {
    Model model = members.get(i);
    try {
      model
          .getBlock()
          .loadParameters(
              model.getNDManager(), new DataInputStream(new ByteArrayInputStream(parameters)));
    } catch (IOException | MalformedModelException e) {
      throw new IllegalStateException("cannot restore member " + i + ": " + e, e);
    }
  }

  /** The MLP of one member: Linear → ReLU → Dropout per hidden size, then Linear to the outputs. */
  public static SequentialBlock mlp(QualitySpec spec) {
    SequentialBlock block = new SequentialBlock();
    for (int h : spec.hidden()) {
      block.add(Linear.builder().setUnits(h).build());
      block.add(Activation.reluBlock());
      if (spec.dropout() > 0) {
        block.add(Dropout.builder().optRate((float) spec.dropout()).build());
      }
    }
    block.add(Linear.builder().setUnits(spec.outputs()).build());
    return block;
  }

  private static Model newMember(QualitySpec spec, int i) {
    Model model = Model.newInstance("quality-member-" + i, Device.cpu(), "PyTorch");
    model.setBlock(mlp(spec));
    return model;
  }

  private static void checkShape(QualitySpec spec, Block block) {
    var params = block.getParameters();
    Shape first = params.get(0).getValue().getArray().getShape(); // [hidden or outputs, input]
    Shape last = params.get(params.size() - 1).getValue().getArray().getShape(); // bias [outputs]
    if (first.get(1) != spec.embeddingDim() || last.get(0) != spec.outputs()) {
      throw new IllegalArgumentException(
          "first weight " + first + ", last bias " + last + " do not fit the spec");
    }
  }

  private static Engine engine() {
    // Native libraries come from Maven (or PYTORCH_LIBRARY_PATH); never download them at run time.
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    return Engine.getEngine("PyTorch");
  }
}
