/**
 * The routes file as immutable records. {@link dev.proxy.core.config.ConfigReader} is the only place that knows the
 * file's keys and defaults; it reports every problem with its path in one {@link dev.proxy.core.config.ConfigException}.
 */
package dev.proxy.core.config;
