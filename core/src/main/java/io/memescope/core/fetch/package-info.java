/**
 * Fetching images for ingestion: {@link io.memescope.core.fetch.ImageFetcher} turns a URL into
 * bytes or a {@link io.memescope.core.fetch.RejectReason}, asynchronously, for Flink's async I/O
 * operator. It assumes every server is hostile: sizes are capped, time is bounded, private
 * addresses are refused, and the bytes, not the Content-Type, say what was fetched ({@link
 * io.memescope.core.fetch.ImageSniffer}).
 */
package io.memescope.core.fetch;
