package io.memescope.flink.ingest;

/** The outcome of fetching one URL: the bytes, or why not ({@code rejection} set). */
public record Fetched(
    UrlInfo info, String finalUrl, byte[] bytes, String format, Rejection rejection) {}
