package io.memescope.core.schema;

import io.memescope.core.config.MilvusSettings;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DescribeCollectionReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.collection.response.DescribeCollectionResp;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The image collection in Milvus: one row per image, keyed by image id, with its embedding and the
 * scalars that searches filter on. Its vector dimension is the model's; an existing collection of
 * another dimension is refused, never silently reused.
 */
public final class MilvusCollection {
  public static final String ID = "id";
  public static final String VECTOR = "vector";
  public static final String QUALITY = "quality";
  public static final String SOURCE = "source";
  public static final String FIRST_SEEN = "first_seen";

  /**
   * A filter expression matching the rows of {@code ids} (image ids are hex, so none needs
   * escaping), for a query that must name its consistency level, which a get cannot.
   */
  public static String idIn(java.util.Collection<?> ids) {
    return ID
        + " in ["
        + ids.stream().map(id -> "\"" + id + "\"").collect(java.util.stream.Collectors.joining(","))
        + "]";
  }

  static final int ID_LENGTH = 32;

  /** Milvus counts a VarChar's length in UTF-8 bytes. */
  public static final int SOURCE_LENGTH = 256;

  private final MilvusClientV2 client;
  private final MilvusSettings settings;

  public MilvusCollection(MilvusClientV2 client, MilvusSettings settings) {
    this.client = client;
    this.settings = settings;
  }

  /**
   * Creates {@code name} with vectors of {@code dimension} if it does not exist, checks it if it
   * does, and loads it for search; returns what it did.
   */
  public String ensure(String name, int dimension) {
    Optional<Integer> existing = dimensionOf(name);
    String result;
    if (existing.isEmpty()) {
      create(name, dimension);
      result = "created Milvus collection " + name + " (dimension " + dimension + ")";
    } else if (existing.get() != dimension) {
      throw new SchemaException(
          "Milvus collection "
              + name
              + " holds vectors of dimension "
              + existing.get()
              + " but the model needs "
              + dimension
              + "; re-embedding into a new collection is needed: set milvus.collection to a new"
              + " name, or drop the old collection");
    } else {
      result =
          "Milvus collection " + name + " exists (dimension " + dimension + ")" + otherIndex(name);
    }
    client.loadCollection(LoadCollectionReq.builder().collectionName(name).build());
    return result;
  }

  /**
   * What differs between the existing collection's vector index and the settings, as a clause to
   * add to {@link #ensure}'s report; empty when they agree. The settings shape an index only when
   * its collection is made: until 2026-12-07 a changed {@code milvus.index-type} was ignored
   * without a word, and a changed {@code milvus.metric} surfaced only as refused searches.
   */
  private String otherIndex(String name) {
    io.milvus.v2.service.index.response.DescribeIndexResp.IndexDesc index;
    try {
      index =
          client
              .describeIndex(
                  io.milvus.v2.service.index.request.DescribeIndexReq.builder()
                      .collectionName(name)
                      .fieldName(VECTOR)
                      .build())
              .getIndexDescByFieldName(VECTOR);
    } catch (io.milvus.v2.exception.MilvusClientException e) {
      return ""; // no index (a creation cut short): loading it says so
    }
    if (index == null) {
      return "";
    }
    List<String> differences = new java.util.ArrayList<>();
    // The SDK fills what the server leaves out with None and INVALID: nothing to compare then.
    if (index.getIndexType() != null
        && index.getIndexType() != IndexParam.IndexType.None
        && !index.getIndexType().name().equals(settings.indexType())) {
      differences.add(
          "index " + index.getIndexType().name() + ", milvus.index-type " + settings.indexType());
    }
    if (index.getMetricType() != null
        && index.getMetricType() != IndexParam.MetricType.INVALID
        && !index.getMetricType().name().equals(settings.metric())) {
      throw new SchemaException(
          "Milvus collection "
              + name
              + " measures similarity by "
              + index.getMetricType().name()
              + " but milvus.metric is "
              + settings.metric()
              + ": searches would be refused. The metric of a collection is fixed when it is made:"
              + " set milvus.metric back, or set milvus.collection to a new name and re-index");
    }
    return differences.isEmpty()
        ? ""
        : "; its "
            + String.join(", ", differences)
            + ": the setting applies to a new collection only (milvus.collection)";
  }

  /** The vector dimension of an existing collection, or empty if there is none by that name. */
  public Optional<Integer> dimensionOf(String name) {
    boolean exists = client.hasCollection(HasCollectionReq.builder().collectionName(name).build());
    if (!exists) {
      return Optional.empty();
    }
    DescribeCollectionResp description =
        client.describeCollection(DescribeCollectionReq.builder().collectionName(name).build());
    CreateCollectionReq.FieldSchema vector = description.getCollectionSchema().getField(VECTOR);
    if (vector == null) {
      throw new SchemaException(
          "Milvus collection " + name + " has no field '" + VECTOR + "'; it is not Memescope's");
    }
    return Optional.of(vector.getDimension());
  }

  private void create(String name, int dimension) {
    CreateCollectionReq.CollectionSchema schema =
        CreateCollectionReq.CollectionSchema.builder().build();
    schema.addField(
        AddFieldReq.builder()
            .fieldName(ID)
            .dataType(DataType.VarChar)
            .maxLength(ID_LENGTH)
            .isPrimaryKey(true)
            .autoID(false)
            .build());
    schema.addField(
        AddFieldReq.builder()
            .fieldName(VECTOR)
            .dataType(DataType.FloatVector)
            .dimension(dimension)
            .build());
    schema.addField(AddFieldReq.builder().fieldName(QUALITY).dataType(DataType.Float).build());
    schema.addField(
        AddFieldReq.builder()
            .fieldName(SOURCE)
            .dataType(DataType.VarChar)
            .maxLength(SOURCE_LENGTH)
            .build());
    schema.addField(AddFieldReq.builder().fieldName(FIRST_SEEN).dataType(DataType.Int64).build());
    IndexParam index =
        IndexParam.builder()
            .fieldName(VECTOR)
            .indexType(IndexParam.IndexType.valueOf(settings.indexType()))
            .metricType(IndexParam.MetricType.valueOf(settings.metric()))
            .extraParams(
                "HNSW".equals(settings.indexType())
                    ? Map.of("M", 16, "efConstruction", 200)
                    : Map.of())
            .build();
    client.createCollection(
        CreateCollectionReq.builder()
            .collectionName(name)
            .collectionSchema(schema)
            .indexParams(List.of(index))
            .build());
  }
}
