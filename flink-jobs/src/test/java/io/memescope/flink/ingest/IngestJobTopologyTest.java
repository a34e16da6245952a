package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/** The job's graph, as the cluster would receive it: uids, parallelism, the GPU slot group. */
class IngestJobTopologyTest {
  private static StreamGraph graph(Map<String, String> overrides) {
    MemescopeConfig config = new ConfigLoader().optOverrides(overrides).load();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    IngestJob.build(env, config, config.render());
    return env.getStreamGraph();
  }

  private static Map<String, StreamNode> byUid(StreamGraph graph) {
    return graph.getStreamNodes().stream()
        .filter(n -> n.getTransformationUID() != null)
        .collect(Collectors.toMap(StreamNode::getTransformationUID, n -> n, (a, b) -> a));
  }

  @Test
  void every_stateful_stage_has_a_stable_uid_and_dedup_sees_everything() {
    Map<String, StreamNode> nodes = byUid(graph(Map.of()));
    assertThat(nodes)
        .containsKeys("crawl-urls", "parse", "seen-urls", "fetch", "analyze", "dedup", "embed");
    assertThat(nodes.get("dedup").getParallelism()).isEqualTo(1);
    assertThat(nodes.get("fetch").getParallelism()).isEqualTo(2);
  }

  @Test
  void the_fetch_and_the_analysis_run_chained_in_one_task() {
    // Analyze gives the fetched bodies back to the fetch's budget (HeldBodies) on the task's
    // thread: in another task they would never be given back.
    var job = graph(Map.of()).getJobGraph();
    assertThat(job.getVertices())
        .filteredOn(v -> v.getName().contains("fetch"))
        .singleElement()
        .satisfies(v -> assertThat(v.getName()).contains("decode, hash, thumbnail"));
  }

  @Test
  void checkpoints_are_exactly_once_and_turn_unaligned_when_a_barrier_waits() {
    StreamGraph graph = graph(Map.of("ingest.checkpoint-interval", "7s"));
    var checkpoints = graph.getCheckpointConfig();
    assertThat(checkpoints.getCheckpointInterval()).isEqualTo(7_000);
    assertThat(checkpoints.getCheckpointingConsistencyMode())
        .isEqualTo(org.apache.flink.core.execution.CheckpointingMode.EXACTLY_ONCE);
    assertThat(checkpoints.isUnalignedCheckpointsEnabled()).isTrue();
    assertThat(checkpoints.getAlignedCheckpointTimeout())
        .isEqualTo(java.time.Duration.ofSeconds(1));
  }

  @Test
  void takedowns_are_read_once_and_broadcast_into_the_deduplicator() {
    StreamGraph graph = graph(Map.of());
    Map<String, StreamNode> nodes = byUid(graph);
    assertThat(nodes).containsKeys("takedowns", "parse-takedowns");
    assertThat(nodes.get("takedowns").getParallelism()).isEqualTo(1);
    assertThat(nodes.get("parse-takedowns").getParallelism()).isEqualTo(1);
    // The de-duplicator's inputs: the candidates, keyed, and the takedowns, broadcast.
    var inputs = nodes.get("dedup").getInEdges();
    assertThat(inputs)
        .extracting(e -> graph.getStreamNode(e.getSourceId()).getTransformationUID())
        .containsExactlyInAnyOrder("analyze", "parse-takedowns");
    assertThat(inputs)
        .filteredOn(e -> e.getSourceId() == nodes.get("parse-takedowns").getId())
        .singleElement()
        .satisfies(e -> assertThat(e.getPartitioner().isBroadcast()).isTrue());
  }

  @Test
  void the_embedder_has_its_own_slot_group_which_asks_for_gpus_only_when_configured() {
    StreamGraph local = graph(Map.of());
    StreamNode embed = byUid(local).get("embed");
    assertThat(embed.getSlotSharingGroup()).isEqualTo(IngestJob.EMBED_GROUP);
    assertThat(byUid(local).get("fetch").getSlotSharingGroup()).isNotEqualTo(IngestJob.EMBED_GROUP);
    assertThat(local.getSlotSharingGroupResource(IngestJob.EMBED_GROUP)).isEmpty();

    StreamGraph gpu = graph(Map.of("ingest.embed-gpus", "1", "ingest.embed-parallelism", "4"));
    assertThat(byUid(gpu).get("embed").getParallelism()).isEqualTo(4);
    assertThat(gpu.getSlotSharingGroupResource(IngestJob.EMBED_GROUP))
        .hasValueSatisfying(
            profile ->
                assertThat(profile.getExtendedResources())
                    .containsKey("gpu")
                    .satisfies(
                        r -> assertThat(r.get("gpu").getValue().doubleValue()).isEqualTo(1.0)));
  }
}
