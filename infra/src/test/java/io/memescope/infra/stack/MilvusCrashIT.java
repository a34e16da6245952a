package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.memescope.core.schema.Schema;
import io.memescope.infra.testing.TestStack;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Upserts that Milvus acknowledged survive a crash of the stack's Milvus. Milvus Lite 3.2.2 served
 * with its default pool of 10 threads lost them: writers whose upserts are the first into a
 * collection's new WAL file open it twice and leave it unreadable, so a SIGKILL then loses every
 * row in it. With writers as few as the ingest job's two committers this lost rows in 3 of 10
 * collections (and in 7 of 10 with eight writers). The stack serves Milvus with one worker ({@link
 * MilvusService#GRPC_WORKERS}).
 */
class MilvusCrashIT {
  private static final int DIM = 64;
  private static final int COLLECTIONS = 10;
  private static final int WRITERS = 8;
  private static final int ROWS = 50;

  @Test
  void rows_upserted_by_concurrent_writers_survive_a_sigkill_of_milvus() throws Exception {
    MemescopeConfig config = TestStack.config();
    Map<String, Set<String>> acked = new LinkedHashMap<>();
    List<MilvusClientV2> writers = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    MilvusClientV2 admin = Clients.milvus(config.milvus());
    try {
      for (int w = 0; w < WRITERS; w++) {
        writers.add(Clients.milvus(config.milvus()));
      }
      Gson gson = new Gson();
      Random random = new Random(11);
      for (int c = 0; c < COLLECTIONS; c++) {
        String collection = TestStack.uniqueName("crash");
        new MilvusCollection(admin, config.milvus()).ensure(collection, DIM);
        acked.put(collection, java.util.concurrent.ConcurrentHashMap.newKeySet());
        CyclicBarrier together = new CyclicBarrier(WRITERS);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          List<JsonObject> rows = new ArrayList<>();
          for (int r = 0; r < ROWS; r++) {
            JsonObject row = new JsonObject();
            row.addProperty(MilvusCollection.ID, "w" + w + "r" + r);
            row.add(MilvusCollection.VECTOR, gson.toJsonTree(MilvusRoundTripIT.unit(random, DIM)));
            row.addProperty(MilvusCollection.QUALITY, 0f);
            row.addProperty(MilvusCollection.SOURCE, "crash-test");
            row.addProperty(MilvusCollection.FIRST_SEEN, 1_700_000_000_000L);
            rows.add(row);
          }
          MilvusClientV2 writer = writers.get(w);
          done.add(
              pool.submit(
                  () -> {
                    together.await(30, TimeUnit.SECONDS);
                    writer.upsert(
                        UpsertReq.builder().collectionName(collection).data(rows).build());
                    rows.forEach(
                        r -> acked.get(collection).add(r.get(MilvusCollection.ID).getAsString()));
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
      }

      killAndRestartMilvus(config);

      Map<String, Integer> lost = new LinkedHashMap<>();
      MilvusClientV2 after = Clients.milvus(config.milvus());
      try {
        for (var e : acked.entrySet()) {
          after.loadCollection(LoadCollectionReq.builder().collectionName(e.getKey()).build());
          Set<String> present = new HashSet<>();
          after
              .query(
                  QueryReq.builder()
                      .collectionName(e.getKey())
                      .filter("id != \"\"")
                      .outputFields(List.of(MilvusCollection.ID))
                      .consistencyLevel(ConsistencyLevel.STRONG)
                      .limit(16_384)
                      .build())
              .getQueryResults()
              .forEach(r -> present.add((String) r.getEntity().get(MilvusCollection.ID)));
          assertThat(e.getValue()).hasSize(WRITERS * ROWS);
          Set<String> missing = new HashSet<>(e.getValue());
          missing.removeAll(present);
          if (!missing.isEmpty()) {
            lost.put(e.getKey(), missing.size());
          }
        }
        assertThat(lost)
            .as("rows acknowledged before the crash and missing after it, by collection")
            .isEmpty();
        for (String collection : acked.keySet()) {
          after.dropCollection(DropCollectionReq.builder().collectionName(collection).build());
        }
      } finally {
        after.close();
      }
    } finally {
      pool.shutdownNow();
      writers.forEach(MilvusClientV2::close);
      admin.close();
    }
  }

  /** SIGKILL, then start it again and load the stack's collection, as `up` does. */
  private static void killAndRestartMilvus(MemescopeConfig config) throws Exception {
    ProcessHandle process = TestStack.process("milvus");
    process.destroyForcibly();
    process.onExit().get(30, TimeUnit.SECONDS);
    new LocalStack(config).up(List.of("milvus"), (s, m) -> System.out.println(s + ": " + m));
    Schema.apply(config);
  }
}
