package io.memescope.infra.cli;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.model.ModelMetadata;
import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.stack.StackException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description = "Install and inspect embedding models.",
    subcommands = {ModelCommand.Install.class, ModelCommand.Info.class})
final class ModelCommand {
  @ParentCommand Memescope parent;

  @Command(
      name = "install",
      mixinStandardHelpOptions = true,
      description = {
        "Export an OpenCLIP model (needs internet: PyPI and the model hub) into a model directory,"
            + " with infra/models/export_openclip.py in a virtual environment of its own.",
        "Example: memescope model install ViT-B-32 --pretrained laion2b_s34b_b79k"
      })
  static final class Install implements Callable<Integer> {
    @ParentCommand ModelCommand model;

    @Parameters(paramLabel = "NAME", description = "OpenCLIP model name, e.g. ViT-B-32")
    String name;

    @Option(
        names = "--pretrained",
        required = true,
        paramLabel = "TAG",
        description = "Pretrained tag, e.g. laion2b_s34b_b79k")
    String pretrained;

    @Option(
        names = "--out",
        paramLabel = "DIR",
        description = "Target directory (default: models/NAME-TAG)")
    Path out;

    @Override
    public Integer call() throws IOException, InterruptedException {
      MemescopeConfig config = model.parent.config();
      Path root = Runtimes.root();
      Path venv = config.home().toAbsolutePath().resolve("export-venv");
      // By default under the repository's models/, where a relative model.dir points from any
      // folder (until 2026-12-07 under the folder the command ran in, where nothing read it).
      Path target =
          (out != null ? out : root.resolve("models").resolve(name + "-" + pretrained))
              .toAbsolutePath()
              .normalize();
      String python = config.milvus().python();
      // Made again when its Python does not run pip (a venv half made before python3-venv was
      // installed): until 2026-12-06 every later install failed until it was deleted by hand.
      if (!Files.isExecutable(venv.resolve("bin/python"))
          || !io.memescope.infra.stack.Venvs.pipRuns(venv.resolve("bin/python"))) {
        Console.line("model: creating " + venv + " (torch and open_clip: a large download)");
        run(List.of(python, "-m", "venv", "--clear", venv.toString()));
      }
      run(
          List.of(
              venv.resolve("bin/python").toString(),
              "-m",
              "pip",
              "install",
              "-r",
              root.resolve("infra/models/requirements.txt").toString()));
      run(
          List.of(
              venv.resolve("bin/python").toString(),
              root.resolve("infra/models/export_openclip.py").toString(),
              "--model",
              name,
              "--pretrained",
              pretrained,
              "--out",
              target.toString(),
              "--golden",
              target.resolve("golden").toString()));
      ModelMetadata meta = ModelMetadata.read(target);
      Console.line(
          "model: "
              + meta.name()
              + " ("
              + meta.embeddingDim()
              + " dimensions) installed in "
              + target);
      Console.line(
          "Use it with model.dir = \""
              + (target.startsWith(root) ? root.relativize(target) : target)
              + "\" in memescope.conf. A stack that has indexed with another model needs a new"
              + " index first: README.md, \"The embedding model\".");
      return 0;
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
      Process process = new ProcessBuilder(command).inheritIO().start();
      if (process.waitFor() != 0) {
        throw new StackException(
            "model install: `"
                + String.join(" ", command)
                + "` failed (exit "
                + process.exitValue()
                + ")");
      }
    }
  }

  @Command(
      name = "info",
      mixinStandardHelpOptions = true,
      description = "Show the configured model's metadata.")
  static final class Info implements Callable<Integer> {
    @ParentCommand ModelCommand model;

    @Option(
        names = "--model",
        paramLabel = "DIR",
        description = "Model directory (default: setting model.dir).")
    Path dir;

    @Override
    public Integer call() {
      Path d = dir != null ? dir : model.parent.config().model().dir();
      ModelMetadata meta = ModelMetadata.read(d);
      Console.line(
          "model       "
              + meta.name()
              + (meta.pretrained().isEmpty() ? "" : " / " + meta.pretrained()));
      Console.line("directory   " + d.toAbsolutePath());
      Console.line("dimension   " + meta.embeddingDim());
      Console.line(
          "image       "
              + meta.imageSize()
              + "px, resize "
              + meta.resizeMode()
              + ", crop "
              + meta.cropMode());
      Console.line(
          "text        context " + meta.contextLength() + ", pooling " + meta.textPooling());
      Console.line("source      " + meta.source());
      Console.line("license     " + meta.license());
      if (meta.tiny()) {
        Console.line("NOTE        tiny random-weight test model: results are not semantic");
      }
      return 0;
    }
  }
}
