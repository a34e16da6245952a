package io.memescope.flink.ingest;

/** A thumbnail as stored in Cassandra's {@code image_thumbnails}. */
public record Thumb(String size, String format, int width, int height, byte[] data) {}
