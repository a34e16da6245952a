package io.memescope.infra.stack;

/** Receives progress lines of long steps (starting services, installing Milvus Lite). */
@FunctionalInterface
public interface ProgressListener {
  void step(String service, String message);

  ProgressListener SILENT = (service, message) -> {};
}
