package io.memescope.infra.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.memescope.infra.stack.LocalStack;
import io.memescope.infra.stack.LocalStack.ServiceStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Probe every service of the local stack.",
      "Exit code 0 only when every service is healthy, 3 otherwise."
    })
final class StatusCommand implements Callable<Integer> {
  static final int UNHEALTHY = 3;

  @ParentCommand Memescope parent;

  @Option(names = "--json", description = "Print a JSON document for scripts.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    LocalStack stack = new LocalStack(parent.config());
    List<ServiceStatus> statuses = stack.status();
    boolean healthy = statuses.stream().allMatch(ServiceStatus::healthy);
    if (json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("home", stack.layout().home().toString());
      doc.put("healthy", healthy);
      doc.put("services", statuses);
      System.out.println(
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
    } else {
      System.out.printf(
          "%-20s %-10s %-8s %-28s %s%n", "SERVICE", "STATE", "PID", "ENDPOINT", "DETAIL");
      for (ServiceStatus s : statuses) {
        System.out.printf(
            "%-20s %-10s %-8s %-28s %s%n",
            s.name(), s.state(), s.pid() == null ? "-" : s.pid(), s.endpoint(), s.detail());
      }
    }
    return healthy ? 0 : UNHEALTHY;
  }
}
