package io.memescope.infra.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.embed.ClipEncoder;
import io.memescope.core.embed.ImageDecodeException;
import io.memescope.infra.stack.StackException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "embed",
    mixinStandardHelpOptions = true,
    description = {
      "Print the embedding of texts and images as JSON arrays, one line per input (texts first).",
      "Example: memescope embed --text \"a photo of a cat\" --image cat.jpg"
    })
final class EmbedCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Option(names = "--text", paramLabel = "TEXT", description = "A text to embed. Repeatable.")
  List<String> texts = new ArrayList<>();

  @Option(
      names = "--image",
      paramLabel = "PATH",
      description = "An image file to embed. Repeatable.")
  List<Path> images = new ArrayList<>();

  @Option(
      names = "--model",
      paramLabel = "DIR",
      description = "Model directory (default: setting model.dir).")
  Path model;

  @Override
  public Integer call() throws Exception {
    if (texts.isEmpty() && images.isEmpty()) {
      throw new StackException("embed: give at least one --text or --image");
    }
    for (String text : texts) {
      // As the search API does: a blank prompt embeds nothing anyone asked for.
      if (text.isBlank()) {
        throw new StackException("embed: --text must not be blank");
      }
    }
    MemescopeConfig config = parent.config();
    Path dir = model != null ? model : config.model().dir();
    List<byte[]> files = new ArrayList<>();
    for (Path image : images) {
      if (Files.isDirectory(image)) {
        throw new StackException("embed: " + image + " is a directory, not an image file");
      }
      if (!Files.isRegularFile(image)) {
        throw new StackException("embed: no such file " + image);
      }
      files.add(Files.readAllBytes(image));
    }
    ObjectMapper json = new ObjectMapper();
    try (ClipEncoder encoder = ClipEncoder.load(dir, config.model().encoderOptions())) {
      // Every input first, then the output: a script gets all the lines or none.
      List<float[]> imageVectors = new ArrayList<>();
      for (int i = 0; i < files.size(); i++) {
        try {
          imageVectors.add(encoder.embedImageBytes(List.of(files.get(i)))[0]);
        } catch (ImageDecodeException e) {
          throw new StackException(
              "embed: " + images.get(i) + ": " + e.reason() + ": " + e.getMessage());
        }
      }
      for (float[] v : encoder.embedTexts(texts)) {
        System.out.println(json.writeValueAsString(v));
      }
      for (float[] v : imageVectors) {
        System.out.println(json.writeValueAsString(v));
      }
    }
    return 0;
  }
}
