/**
 * Crawler: discovers image URLs from directories, lists, feeds, listings and pages, and publishes
 * them to Kafka (issue 4).
 */
package io.memescope.crawler;
