package io.memescope.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** When a lease's holder is taken for a process of this machine that no longer runs. */
class TrainerLeaseTest {
  @Test
  void a_holder_that_runs_is_alive_one_that_ended_or_whose_pid_was_reused_is_dead()
      throws Exception {
    assumeTrue(Files.exists(Path.of("/proc/self/stat")), "Linux's /proc");
    String me = TrainerLease.holderOf(ProcessHandle.current());
    assertThat(TrainerLease.deadHere(me + "/lease-id")).isFalse();

    Process gone = new ProcessBuilder("sleep", "30").start();
    String ended = TrainerLease.holderOf(gone.toHandle()) + "/lease-id";
    assertThat(ended).as("its start was read").doesNotContain("/0/");
    assertThat(TrainerLease.deadHere(ended)).as("still running").isFalse();
    gone.destroy();
    assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(TrainerLease.deadHere(ended)).as("ended").isTrue();

    // This pid, started at another time: the pid of a holder that ended, taken by this process.
    long ticks = TrainerLease.startTicks(ProcessHandle.current().pid()).orElseThrow();
    String reused = me.substring(0, me.lastIndexOf('/') + 1) + (ticks + 1) + "/lease-id";
    assertThat(TrainerLease.deadHere(reused)).isTrue();

    // Another machine, or a holder written before 2026-12-07 (the boot id alone, a start in
    // milliseconds): never taken for dead, only waited for.
    String[] parts = me.split("/");
    assertThat(TrainerLease.deadHere(parts[0] + "/other-boot~1/" + parts[2] + "/x")).isFalse();
    String bootOnly = parts[1].substring(0, parts[1].indexOf('~'));
    assertThat(TrainerLease.deadHere(parts[0] + "/" + bootOnly + "/" + 1 + "/x")).isFalse();
  }

  @Test
  void a_holder_in_another_pid_namespace_that_runs_is_not_taken_for_dead() throws Exception {
    // A `train select` in a container sharing this host's name and boot (host networking, to
    // reach the stack on 127.0.0.1): its pid means nothing here. Needs unshare(1) and the right
    // to make a pid namespace (root here); skipped where either is missing.
    String java = ProcessHandle.current().info().command().orElseThrow();
    Process child;
    try {
      child =
          new ProcessBuilder(
                  List.of(
                      "unshare",
                      "--pid",
                      "--fork",
                      "--mount-proc",
                      java,
                      // Its pid 1's perf-data file would clash with this namespace's pid 1's.
                      "-XX:-UsePerfData",
                      "-cp",
                      System.getProperty("java.class.path"),
                      HolderProbe.class.getName()))
              .redirectErrorStream(true)
              .start();
    } catch (java.io.IOException e) {
      assumeTrue(false, "no unshare: " + e.getMessage());
      return;
    }
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      StringBuilder said = new StringBuilder();
      String holder = null;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith("holder ")) {
          holder = line.substring("holder ".length()) + "/lease-id";
          break;
        }
        said.append(line).append('\n');
      }
      // unshare(1) itself refusing (no right to make a namespace) skips; anything else fails.
      assumeTrue(
          holder != null || !said.toString().startsWith("unshare:"),
          "cannot make a pid namespace: " + said);
      assertThat(holder).as("the probe's output: %s", said).isNotNull();
      assertThat(child.isAlive()).isTrue();
      assertThat(TrainerLease.deadHere(holder)).as(holder).isFalse();
    } finally {
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Prints its holder name, then waits to be stopped. */
  public static final class HolderProbe {
    public static void main(String[] args) throws Exception {
      System.out.println("holder " + TrainerLease.holderOf(ProcessHandle.current()));
      System.out.flush();
      Thread.sleep(60_000);
    }
  }
}
