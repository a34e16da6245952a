package io.memescope.flink.smoke;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A bounded job that proves a cluster can run Memescope's job jar end to end: it sums the numbers
 * 1..count by their last digit and writes one {@code digit=sum} record per digit to a Kafka topic.
 * {@code ./memescope} and the integration tests use it to check a session cluster.
 *
 * <pre>{@code
 * --bootstrap 127.0.0.1:9092 --topic smoke --count 100000
 * }</pre>
 */
public final class ClusterSmokeJob {
  private ClusterSmokeJob() {}

  public static void main(String[] args) throws Exception {
    ParameterTool params = ParameterTool.fromArgs(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    defineWorkflow(env.fromSequence(1, params.getLong("count", 100_000)))
        .sinkTo(sink(params.getRequired("bootstrap"), params.getRequired("topic")))
        .name("kafka-sink");
    env.execute("memescope-cluster-smoke");
  }

  /** Sums by last digit; in batch mode each digit yields exactly one {@code digit=sum}. */
  public static DataStream<String> defineWorkflow(DataStream<Long> numbers) {
    return numbers
        .map(n -> new long[] {n % 10, n})
        .returns(long[].class)
        .keyBy(pair -> pair[0])
        .reduce((a, b) -> new long[] {a[0], a[1] + b[1]})
        .map(pair -> pair[0] + "=" + pair[1]);
  }

  private static KafkaSink<String> sink(String bootstrap, String topic) {
    return KafkaSink.<String>builder()
        .setBootstrapServers(bootstrap)
        // In batch mode a reduce's results carry the end-of-input timestamp (Long.MAX_VALUE),
        // which Kafka 4 brokers reject; a record without a timestamp is stamped when sent.
        .setRecordSerializer(
            (KafkaRecordSerializationSchema<String>)
                (element, context, timestamp) ->
                    new ProducerRecord<>(topic, element.getBytes(StandardCharsets.UTF_8)))
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
  }
}
