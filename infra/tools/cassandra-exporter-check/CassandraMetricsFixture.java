import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;
import org.apache.cassandra.config.DatabaseDescriptor;
import org.apache.cassandra.metrics.CassandraMetricsRegistry;
import org.apache.cassandra.metrics.ClientRequestMetrics;
import org.apache.cassandra.metrics.ClientWriteRequestMetrics;
import org.apache.cassandra.metrics.DefaultNameFactory;
import org.apache.cassandra.metrics.DroppedMessageMetrics;
import org.apache.cassandra.metrics.StorageMetrics;
import org.apache.cassandra.net.Verb;

/**
 * Cassandra's own metric objects (cassandra-all, the classes a node uses, so the same MBean names,
 * attributes and units) with known values, in a JVM that is not a Cassandra node: the JMX exporter
 * agent of infra/docker/cassandra.Dockerfile scrapes them with infra/docker/cassandra-jmx-exporter.yml,
 * and infra/bin/validate-deploy compares its output with these values. Prints "ready" when done.
 */
public class CassandraMetricsFixture {
  public static void main(String[] args) throws Exception {
    DatabaseDescriptor.clientInitialization();
    ClientWriteRequestMetrics write = new ClientWriteRequestMetrics("Write");
    ClientRequestMetrics read = new ClientRequestMetrics("Read");
    // Per-consistency-level timers (Read-ONE, ...) must not be mixed into Read.
    new ClientRequestMetrics("Read-ONE").addNano(TimeUnit.SECONDS.toNanos(7));
    for (int i = 0; i < 1000; i++) {
      write.addNano(TimeUnit.MICROSECONDS.toNanos(i < 990 ? 800 : 20_000));
      read.addNano(TimeUnit.MICROSECONDS.toNanos(300));
    }
    write.timeouts.mark(2);
    write.unavailables.mark();
    read.failures.mark();
    StorageMetrics.load.inc(123_456_789L);
    // CompactionMetrics' gauges need a started node; the same registry call gives the same MBean.
    CassandraMetricsRegistry.Metrics.register(
        DefaultNameFactory.createMetricName("Compaction", "PendingTasks", null),
        (com.codahale.metrics.Gauge<Integer>) () -> 4);
    CassandraMetricsRegistry.Metrics.register(
        DefaultNameFactory.createMetricName("Compaction", "CompletedTasks", null),
        (com.codahale.metrics.Gauge<Long>) () -> 42L);
    // MUTATION_REQ is also registered under its legacy alias MUTATION.
    new DroppedMessageMetrics(Verb.MUTATION_REQ).dropped.mark(3);
    new DroppedMessageMetrics(Verb.HINT_REQ).dropped.mark(5);
    Object unit =
        ManagementFactory.getPlatformMBeanServer()
            .getAttribute(
                new ObjectName("org.apache.cassandra.metrics:type=ClientRequest,scope=Write,name=Latency"),
                "DurationUnit");
    System.out.println("DurationUnit " + unit);
    System.out.println("ready");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
