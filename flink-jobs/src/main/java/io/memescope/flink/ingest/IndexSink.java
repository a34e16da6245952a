package io.memescope.flink.ingest;

import com.fasterxml.jackson.core.type.TypeReference;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The index sink, exactly once. Milvus and Cassandra take no part in Flink's checkpoints, and the
 * de-duplication decisions depend on arrival order, so writing as elements arrive could leave a
 * write that the restored job never makes again (an image that, replayed, becomes a duplicate of
 * another). Instead the writer collects each checkpoint's effects, the batch is stored in the
 * checkpoint, and the committer writes it only once the checkpoint is complete, retrying until the
 * stores have it. What the stores hold is then always the effects of completed checkpoints, each
 * written at least once by idempotent upserts: exactly once. New images become visible one
 * checkpoint interval after they arrive.
 *
 * <p>Retries: Flink 2 calls {@link Committer#commit} again at once after {@code retryLater()}, in
 * the same checkpoint notification, up to {@code sink.committer.retries} (10) times, then fails the
 * job, which restores the checkpoint and commits again. So the committer waits before each retry
 * ({@link #backoff}: 0.25 s doubling to 5 s, about 33 s over ten), so that a store gone for seconds
 * is waited for instead of failing the whole job over. (Flink 2.2's {@code
 * CheckpointCommittableManagerImpl.commit} calls the committer at most retries + 1 times; the wait
 * is taken at the start of a retry, so none follows the last failure.)
 */
final class IndexSink implements Sink<IndexEffect>, SupportsCommitter<List<IndexEffect>> {
  private static final Logger LOG = LoggerFactory.getLogger(IndexSink.class);

  /** The wait before retry {@code attempt} (1, 2, …): 0.25 s, doubling, at most 5 s. */
  static java.time.Duration backoff(int attempt) {
    long ms = 250L << Math.min(Math.max(attempt, 1) - 1, 5);
    return java.time.Duration.ofMillis(Math.min(ms, 5_000));
  }

  private final String config;

  /**
   * @param config the settings as HOCON ({@link MemescopeConfig#render()})
   */
  IndexSink(String config) {
    this.config = config;
  }

  @Override
  public SinkWriter<IndexEffect> createWriter(WriterInitContext context) {
    return new Writer();
  }

  @Override
  public Committer<List<IndexEffect>> createCommitter(CommitterInitContext context) {
    return new IndexCommitter(config, new Counters(context.metricGroup(), "rejects"));
  }

  @Override
  public SimpleVersionedSerializer<List<IndexEffect>> getCommittableSerializer() {
    return new BatchSerializer();
  }

  private static final class Writer
      implements CommittingSinkWriter<IndexEffect, List<IndexEffect>> {
    private List<IndexEffect> pending = new ArrayList<>();

    @Override
    public void write(IndexEffect effect, Context context) {
      pending.add(effect);
    }

    @Override
    public void flush(boolean endOfInput) {}

    @Override
    public Collection<List<IndexEffect>> prepareCommit() {
      if (pending.isEmpty()) {
        return List.of();
      }
      List<IndexEffect> batch = pending;
      pending = new ArrayList<>();
      return List.of(batch);
    }

    @Override
    public void close() {}
  }

  private static final class IndexCommitter implements Committer<List<IndexEffect>> {
    private final String config;
    private final Counters rejects;
    private IndexWriter writer;

    IndexCommitter(String config, Counters rejects) {
      this.config = config;
      this.rejects = rejects;
    }

    @Override
    public void commit(Collection<CommitRequest<List<IndexEffect>>> requests) {
      for (CommitRequest<List<IndexEffect>> request : requests) {
        int retries = request.getNumberOfRetries();
        if (retries > 0) {
          // The wait is before a retry, not after a failure: after the last allowed one Flink
          // fails the job at once instead of after a last wait of 5 s.
          try {
            Thread.sleep(backoff(retries).toMillis());
          } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt(); // cancelled: the job restores and commits again
            request.signalFailedWithUnknownReason(interrupted);
            continue;
          }
        }
        try {
          if (writer == null) {
            writer = new IndexWriter(new ConfigLoader().optText(config).load());
          }
          Set<String> dropped = writer.write(request.getCommittable());
          for (IndexEffect e : request.getCommittable()) {
            if (dropped.contains(e.imageId())) {
              rejects.inc("taken_down"); // counted with the de-duplicator's: one reason
            }
          }
          if (!dropped.isEmpty()) {
            LOG.info("not indexed, taken down before their effects were written: {}", dropped);
          }
        } catch (Exception e) {
          LOG.warn(
              "writing {} effect(s) to the index failed (attempt {}); retrying: {}",
              request.getCommittable().size(),
              request.getNumberOfRetries() + 1,
              e.toString());
          closeWriter();
          request.retryLater();
        }
      }
    }

    private void closeWriter() {
      if (writer != null) {
        try {
          writer.close();
        } catch (RuntimeException e) {
          LOG.debug("closing the index writer", e);
        }
        writer = null;
      }
    }

    @Override
    public void close() {
      closeWriter();
    }
  }

  /** Committables as JSON: they are kept in checkpoints until written. */
  static final class BatchSerializer implements SimpleVersionedSerializer<List<IndexEffect>> {
    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(List<IndexEffect> batch) throws IOException {
      return Json.mapper().writeValueAsBytes(batch);
    }

    @Override
    public List<IndexEffect> deserialize(int version, byte[] bytes) throws IOException {
      if (version != 1) {
        throw new IOException("unknown index batch version " + version);
      }
      return Json.mapper().readValue(bytes, new TypeReference<List<IndexEffect>>() {});
    }
  }
}
