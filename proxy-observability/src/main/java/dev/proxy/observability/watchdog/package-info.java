/**
 * The watchdog: a periodic self-check of heap, direct memory, open file descriptors, live threads and client
 * connections against the thresholds of {@code observability.watchdog}.
 *
 * <p>{@link dev.proxy.observability.watchdog.Watchdog} is the decision logic and runs on its own thread (never an
 * event loop); it takes its samples from a {@link dev.proxy.observability.watchdog.ReadingSource}, which is
 * {@link dev.proxy.observability.watchdog.JvmReadingSource} (MXBeans and Netty's direct memory counter) in the proxy
 * and a fake in tests, so the thresholds, log lines, meters and actions are tested without a socket or a full heap.
 */
package dev.proxy.observability.watchdog;
