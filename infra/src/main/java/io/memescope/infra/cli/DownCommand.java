package io.memescope.infra.cli;

import io.memescope.infra.stack.LocalStack;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "down",
    mixinStandardHelpOptions = true,
    description = "Stop the local stack's processes (data stays in the home directory).")
final class DownCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Parameters(paramLabel = "SERVICE", arity = "0..*", description = "Only these services.")
  List<String> services = new ArrayList<>();

  @Override
  public Integer call() {
    LocalStack stack = new LocalStack(parent.config());
    List<String> stopped = stack.down(services, Console::step);
    Console.line(stopped.isEmpty() ? "memescope: nothing was running" : "memescope: down");
    return 0;
  }
}
