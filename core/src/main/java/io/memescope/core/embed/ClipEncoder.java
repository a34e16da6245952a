package io.memescope.core.embed;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.TranslatorContext;
import io.memescope.core.model.ModelFormatException;
import io.memescope.core.model.ModelMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CLIP-family dual encoder run by DJL's PyTorch engine: images and texts to L2-normalised vectors
 * in one space. Thread-safe: calls borrow one of {@code workers} predictors per tower, so at most
 * that many batches run at once; inputs are cut into batches of {@code batchSize}.
 *
 * <pre>{@code
 * try (ClipEncoder encoder = ClipEncoder.load(Path.of("models/tiny"), EncoderOptions.defaults())) {
 *   float[][] v = encoder.embedTexts(List.of("a photo of a cat"));
 * }
 * }</pre>
 */
public final class ClipEncoder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClipEncoder.class);

  private final ModelMetadata meta;
  private final Device device;
  private final int batchSize;
  private final ClipPreprocessor preprocessor;
  private final ClipTokenizer tokenizer;
  private final ImageDecoder decoder;
  private final ZooModel<Batch, float[][]> imageModel;
  private final ZooModel<Batch, float[][]> textModel;
  private final BlockingQueue<Predictor<Batch, float[][]>> imagePredictors;
  private final BlockingQueue<Predictor<Batch, float[][]>> textPredictors;

  /** A batch handed to a TorchScript encoder: flat data and its shape. */
  record Batch(float[] floats, long[] longs, Shape shape) {}

  private ClipEncoder(Path dir, ModelMetadata meta, EncoderOptions options) throws IOException {
    this.meta = meta;
    this.device = chooseDevice(options.device());
    this.batchSize = options.batchSize();
    this.preprocessor = new ClipPreprocessor(meta);
    this.decoder = new ImageDecoder(options.maxPixels());
    this.tokenizer = new ClipTokenizer(dir, meta);
    // A tower that fails to load must not leave the tokenizer and the tower loaded before it
    // (native memory, on a GPU its weights) behind: a TaskManager retries the load on every
    // restart.
    ZooModel<Batch, float[][]> image = null;
    ZooModel<Batch, float[][]> text = null;
    try {
      image = loadTower(dir, meta.imageEncoder());
      text = loadTower(dir, meta.textEncoder());
      this.imagePredictors = predictors(image, options.workers());
      this.textPredictors = predictors(text, options.workers());
    } catch (IOException | RuntimeException e) {
      if (text != null) {
        text.close();
      }
      if (image != null) {
        image.close();
      }
      tokenizer.close();
      throw e;
    }
    this.imageModel = image;
    this.textModel = text;
    if (meta.tiny()) {
      LOG.warn(
          "model {} in {} is the tiny random-weight test model: results are not semantic until a"
              + " real model is installed (./memescope model install)",
          meta.name(),
          dir);
    }
  }

  /** Reads the model directory once; a missing or inconsistent file is an error naming it. */
  public static ClipEncoder load(Path dir, EncoderOptions options) throws IOException {
    // Native libraries come from Maven (or PYTORCH_LIBRARY_PATH); never download them at run time.
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    return new ClipEncoder(dir, ModelMetadata.read(dir), options);
  }

  public ModelMetadata metadata() {
    return meta;
  }

  public Device device() {
    return device;
  }

  public ClipPreprocessor preprocessor() {
    return preprocessor;
  }

  public ClipTokenizer tokenizer() {
    return tokenizer;
  }

  /** Decodes and embeds encoded image files (JPEG, PNG, GIF, WebP, BMP). */
  public float[][] embedImageBytes(List<byte[]> images) throws ImageDecodeException {
    List<float[]> pixels = new ArrayList<>(images.size());
    for (byte[] bytes : images) {
      pixels.add(decoder.decode(bytes, ClipPreprocessor::heapBytesPerPixel, preprocessor::apply));
    }
    return embedPreprocessed(pixels);
  }

  /** Embeds images already preprocessed by {@link #preprocessor()} (3 x size x size each). */
  public float[][] embedPreprocessed(List<float[]> images) {
    int s = preprocessor.size();
    int plane = 3 * s * s;
    float[][] out = new float[images.size()][];
    for (int start = 0; start < images.size(); start += batchSize) {
      int n = Math.min(batchSize, images.size() - start);
      float[] data = new float[n * plane];
      for (int i = 0; i < n; i++) {
        System.arraycopy(images.get(start + i), 0, data, i * plane, plane);
      }
      float[][] vectors = run(imagePredictors, new Batch(data, null, new Shape(n, 3, s, s)));
      System.arraycopy(vectors, 0, out, start, n);
    }
    return out;
  }

  public float[][] embedTexts(List<String> texts) {
    int ctx = tokenizer.contextLength();
    float[][] out = new float[texts.size()][];
    for (int start = 0; start < texts.size(); start += batchSize) {
      int n = Math.min(batchSize, texts.size() - start);
      long[] ids = new long[n * ctx];
      for (int i = 0; i < n; i++) {
        System.arraycopy(tokenizer.encode(texts.get(start + i)), 0, ids, i * ctx, ctx);
      }
      float[][] vectors = run(textPredictors, new Batch(null, ids, new Shape(n, ctx)));
      System.arraycopy(vectors, 0, out, start, n);
    }
    return out;
  }

  private float[][] run(BlockingQueue<Predictor<Batch, float[][]>> pool, Batch batch) {
    Predictor<Batch, float[][]> predictor;
    try {
      predictor = pool.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EmbeddingException("interrupted while waiting for a free predictor", e);
    }
    try {
      return predictor.predict(batch);
    } catch (TranslateException e) {
      throw new EmbeddingException("inference failed on " + device + ": " + e.getMessage(), e);
    } finally {
      pool.add(predictor);
    }
  }

  private ZooModel<Batch, float[][]> loadTower(Path dir, String file) throws IOException {
    Criteria<Batch, float[][]> criteria =
        Criteria.builder()
            .setTypes(Batch.class, float[][].class)
            .optModelPath(dir.resolve(file))
            .optEngine("PyTorch")
            .optDevice(device)
            .optOption("mapLocation", "true")
            .optTranslator(new VectorTranslator())
            .build();
    try {
      return criteria.loadModel();
    } catch (ModelNotFoundException | MalformedModelException e) {
      throw new ModelFormatException(
          dir.resolve(file) + ": cannot be loaded as TorchScript: " + e.getMessage());
    }
  }

  private static BlockingQueue<Predictor<Batch, float[][]>> predictors(
      ZooModel<Batch, float[][]> model, int workers) {
    BlockingQueue<Predictor<Batch, float[][]>> pool = new ArrayBlockingQueue<>(workers);
    for (int i = 0; i < workers; i++) {
      pool.add(model.newPredictor());
    }
    return pool;
  }

  static Device chooseDevice(String setting) {
    Engine engine = Engine.getEngine("PyTorch");
    int gpus = engine.getGpuCount();
    return switch (setting) {
      case "cpu" -> Device.cpu();
      case "auto" -> gpus > 0 ? Device.gpu(0) : Device.cpu();
      default -> {
        int index = setting.equals("gpu") ? 0 : Integer.parseInt(setting.substring(4));
        if (index >= gpus) {
          throw new EmbeddingException(
              "model.device is " + setting + " but the PyTorch engine sees " + gpus + " GPU(s)",
              null);
        }
        yield Device.gpu(index);
      }
    };
  }

  @Override
  public void close() {
    imagePredictors.forEach(Predictor::close);
    textPredictors.forEach(Predictor::close);
    imageModel.close();
    textModel.close();
    tokenizer.close();
  }

  /** Batch in, one L2-normalised vector per row out. */
  private static final class VectorTranslator implements NoBatchifyTranslator<Batch, float[][]> {
    @Override
    public NDList processInput(TranslatorContext ctx, Batch batch) {
      NDArray array =
          batch.floats() != null
              ? ctx.getNDManager().create(batch.floats(), batch.shape())
              : ctx.getNDManager().create(batch.longs(), batch.shape());
      return new NDList(array);
    }

    @Override
    public float[][] processOutput(TranslatorContext ctx, NDList list) {
      NDArray out = list.get(0);
      int rows = (int) out.getShape().get(0);
      int dim = (int) out.getShape().get(1);
      float[] flat = out.toFloatArray();
      float[][] vectors = new float[rows][dim];
      for (int r = 0; r < rows; r++) {
        double norm = 0;
        for (int d = 0; d < dim; d++) {
          norm += (double) flat[r * dim + d] * flat[r * dim + d];
        }
        float inv = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
        for (int d = 0; d < dim; d++) {
          vectors[r][d] = flat[r * dim + d] * inv;
        }
      }
      return vectors;
    }
  }
}
