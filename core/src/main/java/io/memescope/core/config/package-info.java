/**
 * Typed configuration: {@link io.memescope.core.config.ConfigLoader} merges the documented defaults
 * ({@code memescope-defaults.conf}) with a file, the environment and command-line overrides, and
 * yields a validated {@link io.memescope.core.config.MemescopeConfig}.
 */
package io.memescope.core.config;
