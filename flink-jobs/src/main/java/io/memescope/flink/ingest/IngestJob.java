package io.memescope.flink.ingest;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.IngestSettings;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.Json;
import io.memescope.core.records.Takedown;
import io.memescope.core.schema.Clients;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.AbstractDeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The ingest job: crawl records from Kafka → drop URLs already seen → fetch (async I/O) → decode,
 * hash, thumbnail → drop taken-down content (the takedowns topic, broadcast) and exact and near
 * duplicates, merging their URLs into the existing image → embed in micro-batches → index (Milvus
 * and Cassandra exactly once; {@code memescope.ingest.indexed} at least once, since a retried
 * commit sends its events again). Whatever fails goes to {@code memescope.ingest.rejects} with its
 * stage and reason; bad input never fails the job.
 *
 * <pre>{@code
 * flink run flink-jobs-job.jar --config-base64 <base64 of the settings as HOCON>
 * flink run flink-jobs-job.jar --config /opt/memescope/conf/memescope.conf   (a cluster)
 * }</pre>
 *
 * Every stateful operator has a fixed uid, so that a new version of the job restores the state of
 * the old one.
 */
public final class IngestJob {
  static final OutputTag<Rejection> REJECTS =
      new OutputTag<>("rejects", TypeInformation.of(Rejection.class));

  private IngestJob() {}

  public static void main(String[] args) throws Exception {
    String hocon = null;
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--config-base64")) {
        hocon = new String(Base64.getDecoder().decode(args[i + 1]), StandardCharsets.UTF_8);
      } else if (args[i].equals("--config")) {
        // A settings file on the JobManager (a cluster's mounted memescope.conf; its
        // ${?MEMESCOPE_...} substitutions read the JobManager's environment). The merged,
        // resolved settings travel on to the operators as text, as with --config-base64.
        hocon =
            new ConfigLoader()
                .optFile(java.nio.file.Path.of(args[i + 1]))
                .merged()
                .root()
                .render(com.typesafe.config.ConfigRenderOptions.concise());
      }
    }
    if (hocon == null) {
      throw new IllegalArgumentException(
          "usage: IngestJob --config-base64 <settings> | --config <settings file>");
    }
    MemescopeConfig config = new ConfigLoader().optText(hocon).load();
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    build(env, config, hocon);
    env.execute(config.ingest().jobName());
  }

  /** How long a checkpoint barrier may wait for alignment before it overtakes buffered data. */
  static final java.time.Duration ALIGNED_CHECKPOINT_TIMEOUT = java.time.Duration.ofSeconds(1);

  /** Adds the job's topology to {@code env}. */
  public static void build(StreamExecutionEnvironment env, MemescopeConfig config, String hocon) {
    IngestSettings s = config.ingest();
    env.setParallelism(s.parallelism());
    env.enableCheckpointing(s.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
    env.getCheckpointConfig()
        .setExternalizedCheckpointRetention(
            org.apache.flink.configuration.ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    env.getCheckpointConfig().setMinPauseBetweenCheckpoints(s.checkpointInterval().toMillis() / 2);
    // Index writes become visible when a checkpoint completes. Under load an aligned barrier
    // queues behind every crawl URL already buffered in front of the fetch stage (thousands: a URL
    // is a few hundred bytes), which held checkpoints, and so visibility, for 17-25 s instead of
    // 5 (docs/benchmarks.md, "Ingest job end to end"). A barrier still aligning after a second
    // overtakes the buffers, which go into the checkpoint instead (unaligned checkpoints).
    env.getCheckpointConfig().enableUnalignedCheckpoints(true);
    env.getCheckpointConfig().setAlignedCheckpointTimeout(ALIGNED_CHECKPOINT_TIMEOUT);

    KafkaSource<byte[]> source =
        KafkaSource.<byte[]>builder()
            .setBootstrapServers(config.kafka().bootstrapServers())
            .setTopics(config.kafka().topic("crawl-urls").name())
            .setGroupId(s.jobName())
            .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
            .setValueOnlyDeserializer(new RawBytes())
            .build();
    SingleOutputStreamOperator<UrlInfo> parsed =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "crawl-urls")
            .uid("crawl-urls")
            .process(new ParseRecords())
            .uid("parse")
            .name("parse");
    DataStream<UrlInfo> unseen =
        parsed
            .keyBy(UrlInfo::seenKey)
            .process(new SeenUrlFilter(s.seenUrlTtl()))
            .uid("seen-urls")
            .name("drop seen URLs");
    DataStream<Fetched> fetched =
        AsyncDataStream.unorderedWait(
                unseen,
                new FetchFunction(s),
                FetchFunction.asyncTimeout(s).toMillis(),
                TimeUnit.MILLISECONDS,
                s.fetchConcurrency())
            .uid("fetch")
            .name("fetch");
    // Chained to the fetch (same parallelism, forward), on its task's thread: Analyze gives each
    // body back to the fetch's budget of held bytes (HeldBodies), and fails if it is not chained.
    SingleOutputStreamOperator<Candidate> analyzed =
        fetched
            .process(new Analyze(config.model().maxPixels()))
            .uid("analyze")
            .name("decode, hash, thumbnail");
    // Takedowns (published by the serving API), every one since the topic began, so that a job
    // started without state knows them all; broadcast into the de-duplicator, which blocks them.
    KafkaSource<byte[]> takedownSource =
        KafkaSource.<byte[]>builder()
            .setBootstrapServers(config.kafka().bootstrapServers())
            .setTopics(config.kafka().topic("takedowns").name())
            .setGroupId(s.jobName() + ".takedowns")
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setValueOnlyDeserializer(new RawBytes())
            .build();
    DataStream<Takedown> takedowns =
        env.fromSource(takedownSource, WatermarkStrategy.noWatermarks(), "takedowns")
            .uid("takedowns")
            .setParallelism(1)
            .process(new ParseTakedowns())
            .uid("parse-takedowns")
            .name("parse takedowns")
            .setParallelism(1);
    SingleOutputStreamOperator<Candidate> distinct =
        analyzed
            .keyBy(c -> 0)
            .connect(takedowns.broadcast(Deduplicator.TAKEDOWNS, Deduplicator.TAKEN_DOWN_IDS))
            .process(new Deduplicator(s.nearDuplicateDistance()))
            .uid("dedup")
            .name("de-duplicate")
            .setParallelism(1)
            .setMaxParallelism(1);
    SingleOutputStreamOperator<IndexEffect> embedded =
        AsyncDataStream.unorderedWait(
                distinct,
                new EmbedFunction(config.model(), s.embedMaxWait(), s.embedPreprocessThreads()),
                10,
                TimeUnit.MINUTES,
                config.model().batchSize() * config.model().workers() * 2)
            .uid("embed")
            .name("embed")
            .setParallelism(s.embedParallelism())
            .slotSharingGroup(embedGroup(s));
    // Quality model versions (published by the trainer) from the compacted models topic, from
    // its start so that a job started without state finds the current one; broadcast to the
    // scorer, which loads each version's parameters from the registry.
    KafkaSource<byte[]> modelSource =
        KafkaSource.<byte[]>builder()
            .setBootstrapServers(config.kafka().bootstrapServers())
            .setTopics(config.kafka().topic("models").name())
            .setGroupId(s.jobName() + ".models")
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setValueOnlyDeserializer(new RawBytes())
            .build();
    DataStream<io.memescope.core.quality.ModelVersion> models =
        env.fromSource(modelSource, WatermarkStrategy.noWatermarks(), "models")
            .uid("models")
            .setParallelism(1)
            .process(new ParseModelVersions())
            .uid("parse-models")
            .name("parse model versions")
            .setParallelism(1);
    SingleOutputStreamOperator<IndexEffect> effects =
        embedded
            .union(distinct.getSideOutput(Deduplicator.MERGES))
            .connect(models.broadcast(ScoreAndRoute.MODELS))
            .process(new ScoreAndRoute(hocon))
            .uid("route")
            .name("score and route");
    effects.sinkTo(new IndexSink(hocon)).uid("index").name("index");

    String rejectsTopic = config.kafka().topic("ingest-rejects").name();
    KafkaSink<Rejection> rejects =
        KafkaSink.<Rejection>builder()
            .setKafkaProducerConfig(
                Clients.kafkaProducerProperties(config.kafka().bootstrapServers()))
            .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
            .setRecordSerializer(
                KafkaRecordSerializationSchema.<Rejection>builder()
                    .setTopic(rejectsTopic)
                    .setKeySerializationSchema(new RejectionKey())
                    .setValueSerializationSchema(new RejectionJson())
                    .build())
            .build();
    parsed
        .getSideOutput(REJECTS)
        .union(
            analyzed.getSideOutput(REJECTS),
            distinct.getSideOutput(REJECTS),
            effects.getSideOutput(REJECTS))
        .sinkTo(rejects)
        .uid("rejects")
        .name("rejects");
  }

  /**
   * The embedder's slot-sharing group: a group of its own, so that its slots can be placed on GPU
   * TaskManagers; with {@code ingest.embed-gpus} above 0 it requests that many of Flink's {@code
   * gpu} external resource (which needs fine-grained resource management on the cluster).
   */
  static org.apache.flink.api.common.operators.SlotSharingGroup embedGroup(IngestSettings s) {
    var group = org.apache.flink.api.common.operators.SlotSharingGroup.newBuilder(EMBED_GROUP);
    if (s.embedGpus() > 0) {
      group.setCpuCores(1.0).setTaskHeapMemoryMB(1024).setExternalResource("gpu", s.embedGpus());
    }
    return group.build();
  }

  static final String EMBED_GROUP = "embed";

  /** Kafka values as they are; parsing happens in {@link ParseRecords}, where it can reject. */
  static final class RawBytes extends AbstractDeserializationSchema<byte[]> {
    @Override
    public byte[] deserialize(byte[] message) {
      return message == null ? new byte[0] : message;
    }
  }

  /** Rejections are keyed by URL hash (none for a record that could not be read). */
  static final class RejectionKey implements SerializationSchema<Rejection> {
    @Override
    public byte[] serialize(Rejection r) {
      return r.urlHash() == null ? null : r.urlHash().getBytes(StandardCharsets.UTF_8);
    }
  }

  static final class RejectionJson implements SerializationSchema<Rejection> {
    @Override
    public byte[] serialize(Rejection r) {
      return Json.write(r);
    }
  }
}
