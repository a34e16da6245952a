package io.memescope.infra.stack;

import io.memescope.core.config.StackSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds the command line of a Java service process. */
final class JavaCommand {
  private final List<String> jvmOptions = new ArrayList<>();
  private final List<String> arguments = new ArrayList<>();
  private final Path java;
  private String classpath = "";
  private String mainClass;

  JavaCommand(StackSettings settings) {
    Path javaHome = settings.javaHome().orElseGet(() -> Path.of(System.getProperty("java.home")));
    this.java = javaHome.resolve("bin/java");
  }

  JavaCommand heapMegabytes(long megabytes) {
    jvmOptions.add("-Xmx" + megabytes + "m");
    jvmOptions.add("-Xms" + Math.min(megabytes, 256) + "m");
    return this;
  }

  JavaCommand option(String... options) {
    jvmOptions.addAll(List.of(options));
    return this;
  }

  JavaCommand options(List<String> options) {
    jvmOptions.addAll(options);
    return this;
  }

  JavaCommand property(String key, Object value) {
    jvmOptions.add("-D" + key + "=" + value);
    return this;
  }

  JavaCommand classpath(String classpath) {
    this.classpath = classpath;
    return this;
  }

  JavaCommand main(String mainClass, String... args) {
    this.mainClass = mainClass;
    arguments.addAll(List.of(args));
    return this;
  }

  List<String> build() {
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(classpath);
    command.add(mainClass);
    command.addAll(arguments);
    return command;
  }
}
