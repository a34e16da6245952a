package io.memescope.flink.rescore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/**
 * The re-scoring job's restart policy, on Flink's own scheduler (a local mini cluster): a store
 * that goes away fails every subtask of the slices at once, and each again as it restarts. The job
 * must ride that out for a while, whatever its parallelism.
 */
class RescoreRestartTest {
  /** A stage whose every subtask fails on opening until the store is back. */
  static final class StoreAway extends ProcessFunction<String, String> {
    private final long backAt;

    StoreAway(long backAt) {
      this.backAt = backAt;
    }

    @Override
    public void open(OpenContext context) {
      if (System.currentTimeMillis() < backAt) {
        throw new IllegalStateException("the store is away (a test)");
      }
    }

    @Override
    public void processElement(String slice, Context ctx, Collector<String> out) {
      out.collect(slice);
    }
  }

  @Test
  void a_store_away_for_25_s_does_not_end_the_job_at_parallelism_4() throws Exception {
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(RescoreJob.restartPolicy());
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    env.setParallelism(4);
    List<String> slices = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      slices.add(String.format("%02x", i));
    }
    // With the fixed delay it had (10 attempts, 10 s apart), each subtask's failure counted: four
    // at once, then four at each restart, and the job ended at its third round, after 20 s
    // ("Recovery is suppressed"). The stage's parallelism is set, as the job sets it: left to the
    // adaptive batch scheduler, 256 slices would run on one subtask.
    long backAt = System.currentTimeMillis() + 25_000;
    List<String> done =
        env.fromData(slices)
            .rebalance()
            .process(new StoreAway(backAt))
            .setParallelism(4)
            .executeAndCollect(1000);
    assertThat(done).containsExactlyInAnyOrderElementsOf(slices);
  }
}
